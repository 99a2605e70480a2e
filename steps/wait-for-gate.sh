# coord: wait for gate (Bash). Waits until every project of a coord group is current and
# successful in an environment (optionally at given versions), saying what it still waits for.
set -uo pipefail

coord_url=$(get_octopusvariable "Coord.Url")
coord_key=$(get_octopusvariable "Coord.FunctionKey")
group=$(get_octopusvariable "Coord.Gate.Group")
environment=$(get_octopusvariable "Coord.Gate.Environment")
versions=$(get_octopusvariable "Coord.Gate.Versions")
projects=$(get_octopusvariable "Coord.Gate.Projects")
exclude=$(get_octopusvariable "Coord.Gate.Exclude")
timeout=$(get_octopusvariable "Coord.Gate.TimeoutSeconds")
interval=$(get_octopusvariable "Coord.Gate.PollSeconds")

say() { echo "$1"; }
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
waiting_details() { tr -d '\n' <"$1" | grep -o '"detail" *: *"[^"]*"' | sed 's/.*: *"\(.*\)"/\1/'; }
waiting_projects() {
  tr -d '\n' <"$1" | grep -o '"project" *: *"[^"]*", *"tenant" *: *\("[^"]*"\|null\), *"reason" *: *"[^"]*"' |
    sed 's/"project" *: *"\([^"]*\)", *"tenant" *: *"\{0,1\}\([^",]*\)"\{0,1\}, *"reason" *: *"\([^"]*\)"/\1 \2: \3/; s/ null:/:/'
}

[ -n "$coord_url" ] || fail "Coord.Url is not set"
[ -n "$group" ] || fail "Coord.Gate.Group is not set"
[ -n "$environment" ] || fail "Coord.Gate.Environment is not set"
case $timeout in '' | *[!0-9]*) fail "Coord.Gate.TimeoutSeconds must be a whole number of seconds, not '$timeout'" ;; esac
case $interval in '' | *[!0-9]* | 0) interval=30 ;; esac

endpoint="${coord_url%/}/api/gates/$(url_encode "$group")/$(url_encode "$environment")"
query=""
[ -z "$projects" ] || query+="&projects=$(url_encode "$projects")"
[ -z "$versions" ] || query+="&versions=$(url_encode "$versions")"
[ -z "$exclude" ] || query+="&exclude=$(url_encode "$exclude")"
[ -z "$query" ] || endpoint+="?${query#&}"
body_file=$(mktemp)
trap 'rm -f "$body_file"' EXIT
deadline=$(($(date +%s) + timeout))
backoff=1
last=""
while true; do
  status=$(curl -sS -o "$body_file" -w '%{http_code}' --max-time 30 \
    -H "x-functions-key: $coord_key" "$endpoint" 2>/dev/null) || status=000
  pause=$interval
  case $status in
    200)
      backoff=1
      if tr -d '\n ' <"$body_file" | grep -q '"open":true'; then
        say "Gate '$group' in '$environment' is open"
        exit 0
      fi
      last=$(waiting_projects "$body_file" | paste -sd ';' - | sed 's/;/; /g')
      say "Waiting for: $last"
      waiting_details "$body_file" | sed 's/^/  /'
      ;;
    000 | 429 | 503 | 5??)
      pause=$backoff
      backoff=$((backoff * 2 > 30 ? 30 : backoff * 2))
      say "coord answered ${status/000/no response} ($(json_field detail "$body_file")); trying again in ${pause}s"
      ;;
    *)
      fail "coord refused the gate request ($status): $(json_field detail "$body_file")"
      ;;
  esac
  if [ $(($(date +%s) + pause)) -gt "$deadline" ]; then
    fail "Gate '$group' in '$environment' did not open within ${timeout}s; still waiting for: ${last:-an answer from coord}"
  fi
  sleep "$pause"
done
