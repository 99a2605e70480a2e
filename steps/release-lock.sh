# coord: release lock (Bash). Releases the lock taken by a "coord: acquire lock" step of this
# deployment. Give this step the run condition "Always run" so that a failed deployment releases too.
set -uo pipefail

coord_url=$(get_octopusvariable "Coord.Url")
coord_key=$(get_octopusvariable "Coord.FunctionKey")
lock_name=$(get_octopusvariable "Coord.Lock.Name")
acquire_step=$(get_octopusvariable "Coord.Lock.AcquireStep")
token=$(get_octopusvariable "Coord.Lock.Token")
timeout=$(get_octopusvariable "Coord.Lock.TimeoutSeconds")

say() { echo "$1"; }
warn() {
  if declare -F write_warning >/dev/null; then write_warning "$1"; else echo "WARNING: $1"; fi
}
fail() {
  if declare -F fail_step >/dev/null; then fail_step "$1"; fi
  echo "$1" >&2
  exit 1
}
url_encode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}
json_field() { tr -d '\n' <"$2" | grep -o "\"$1\" *: *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }

[ -n "$coord_url" ] || fail "Coord.Url is not set"
[ -n "$lock_name" ] || fail "Coord.Lock.Name is not set"
case $timeout in '' | *[!0-9]*) timeout=120 ;; esac
if [ -z "$token" ] && [ -n "$acquire_step" ]; then
  token=$(get_octopusvariable "Octopus.Action[$acquire_step].Output.LockToken")
fi
if [ -z "$token" ]; then
  say "No lock token from step '$acquire_step': the lock was not taken, so there is nothing to release"
  exit 0
fi

endpoint="${coord_url%/}/api/locks/$(url_encode "$lock_name")?token=$(url_encode "$token")"
body_file=$(mktemp)
trap 'rm -f "$body_file"' EXIT
deadline=$(($(date +%s) + timeout))
backoff=1
while true; do
  status=$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 30 -X DELETE \
    -H "x-functions-key: $coord_key" "$endpoint" 2>/dev/null) || status=000
  case $status in
    200)
      say "Released lock '$lock_name'"
      exit 0
      ;;
    404)
      warn "Lock '$lock_name' was no longer held with this token: $(json_field detail "$body_file")"
      exit 0
      ;;
    000 | 429 | 5??)
      if [ $(($(date +%s) + backoff)) -ge "$deadline" ]; then
        fail "Could not release lock '$lock_name' (last answer: $status); it frees itself when its time to live ends"
      fi
      say "coord answered ${status/000/no response}; trying again in ${backoff}s"
      sleep "$backoff"
      backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
      ;;
    *)
      fail "coord refused to release lock '$lock_name' ($status): $(json_field detail "$body_file")"
      ;;
  esac
done
