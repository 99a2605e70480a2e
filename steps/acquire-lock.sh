# coord: acquire lock (Bash). Waits in coord's queue for a named lock, first come first served,
# and sets the output variable LockToken for the "coord: release lock" step.
set -uo pipefail

coord_url=$(get_octopusvariable "Coord.Url")
coord_key=$(get_octopusvariable "Coord.FunctionKey")
lock_name=$(get_octopusvariable "Coord.Lock.Name")
holder=$(get_octopusvariable "Coord.Lock.Holder")
ttl=$(get_octopusvariable "Coord.Lock.TtlSeconds")
timeout=$(get_octopusvariable "Coord.Lock.TimeoutSeconds")
deployment_id=$(get_octopusvariable "Octopus.Deployment.Id")
# Identifies this step of this deployment, so a retried request whose grant was lost gets it back.
request_id=""
[ -z "$deployment_id" ] || request_id="$deployment_id/$(get_octopusvariable "Octopus.Step.Id")"

# A request waits at most this long on the server; the loop below waits for longer.
max_wait=55

say() { echo "$1"; }
fail() {
  if declare -F fail_step >/dev/null; then fail_step "$1"; fi
  echo "$1" >&2
  exit 1
}
json_string() {
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
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
json_number() { tr -d '\n' <"$2" | grep -o "\"$1\" *: *[0-9]*" | head -n 1 | sed 's/.*: *//'; }

[ -n "$coord_url" ] || fail "Coord.Url is not set"
[ -n "$lock_name" ] || fail "Coord.Lock.Name is not set"
[ -n "$holder" ] || holder="Octopus deployment ${deployment_id:-(unknown)}"
case $ttl in '' | *[!0-9]*) fail "Coord.Lock.TtlSeconds must be a whole number of seconds, not '$ttl'" ;; esac
case $timeout in '' | *[!0-9]*) fail "Coord.Lock.TimeoutSeconds must be a whole number of seconds, not '$timeout'" ;; esac

endpoint="${coord_url%/}/api/locks/$(url_encode "$lock_name")"
body_file=$(mktemp)
headers_file=$(mktemp)
trap 'rm -f "$body_file" "$headers_file"' EXIT
deadline=$(($(date +%s) + timeout))
ticket=""
backoff=1

leave_queue() {
  [ -n "$ticket" ] || return 0
  curl -sS -o /dev/null --max-time 15 -X DELETE -H "x-functions-key: $coord_key" \
    "$endpoint?ticket=$(url_encode "$ticket")" || true
}

while true; do
  remaining=$((deadline - $(date +%s)))
  wait=$((remaining < max_wait ? remaining : max_wait))
  [ "$wait" -ge 0 ] || wait=0
  body="{\"holder\": $(json_string "$holder"), \"ttl_seconds\": $ttl, \"wait_seconds\": $wait, \"request_id\": $(json_string "$request_id")"
  [ -z "$ticket" ] || body+=", \"ticket\": $(json_string "$ticket")"
  body+="}"
  status=$(curl -sS -o "$body_file" -D "$headers_file" -w '%{http_code}' --max-time $((wait + 30)) \
    -X POST -H "Content-Type: application/json" -H "x-functions-key: $coord_key" \
    --data "$body" "$endpoint" 2>/dev/null) || status=000
  case $status in
    200)
      token=$(json_field token "$body_file")
      [ -n "$token" ] || fail "coord granted lock '$lock_name' but its answer carried no token"
      set_octopusvariable "LockToken" "$token"
      say "Acquired lock '$lock_name' for '$holder' until $(json_field expires_at "$body_file")"
      exit 0
      ;;
    409)
      backoff=1
      ticket=$(json_field ticket "$body_file")
      current=$(json_field holder "$body_file")
      position=$(json_number position "$body_file")
      if [ -n "$current" ]; then
        say "Waiting for lock '$lock_name': held by '$current' (place in queue: ${position:-?})"
      else
        say "Waiting for lock '$lock_name' (place in queue: ${position:-?})"
      fi
      ;;
    000 | 429 | 5??)
      retry_after=$(tr -d '\r' <"$headers_file" | grep -i '^retry-after:' | head -n 1 | sed 's/^[^:]*: *//')
      case $retry_after in '' | *[!0-9]*) pause=$backoff ;; *) pause=$retry_after ;; esac
      say "coord answered ${status/000/no response}; trying again in ${pause}s"
      if [ $(($(date +%s) + pause)) -ge "$deadline" ]; then
        leave_queue
        fail "Could not reach coord at $coord_url before the timeout of ${timeout}s (last answer: $status)"
      fi
      sleep "$pause"
      backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
      continue
      ;;
    *)
      fail "coord refused the lock request ($status): $(json_field detail "$body_file")"
      ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    leave_queue
    fail "Lock '$lock_name' was not granted within ${timeout}s; it is held by '${current:-an earlier request}'"
  fi
done
