#!/usr/bin/env bash
# The README's route as a new user takes it, from this checkout: `npm run up` with nothing given (the engine,
# the image source, Control Center and the users API are up's own choices), the DAG triggered with the
# command up's summary prints, `npm run status` until the users are in Cassandra (then it exits 0 with
# non-zero rows), `npm run down`, and nothing of ours left: no container, network or volume, and no engine
# process when up started the engine. The outputs and the times land in artifacts/platform/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
out=artifacts/platform
mkdir -p "$out"
status_timeout=${KP_CHECK_STATUS_TIMEOUT:-600}

fail() { printf 'check-up-down: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'check-up-down: %s\n' "$*" >&2; }
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
engine_dir=${KP_DOCKER_DIR:-$KP_CACHE_DIR/docker}

engine_before=no
if bash scripts/docker-engine.sh status >/dev/null 2>&1; then engine_before=yes; fi
say "the project's engine answers before up: $engine_before"

start=$(date +%s.%N)
npm run --silent up 2>&1 | tee "$out/up.out"
up_seconds=$(seconds_since "$start")
say "npm run up took $up_seconds s"

# The summary a new user reads: the outputs, the Airflow login, the next commands.
for expected in 'The platform is up' 'airflow_url' 'monitoring_dashboard_url' 'Airflow: http://' 'output -raw airflow_admin_password' \
  'trigger the DAG:' 'npm run status' 'npm run down'; do
  grep -qF -- "$expected" "$out/up.out" || fail "up's summary lacks '$expected' (artifacts/platform/up.out)"
done
if grep -q 'started by this command' "$out/up.out"; then started_engine=yes; else started_engine=no; fi
[[ $engine_before == yes || $started_engine == yes ]] || fail "no engine answered before up, yet up's summary does not say it started one"
deploy_seconds=$(sed -n 's/.*cdktf deploy took \([0-9]*\) s.*/\1/p' "$out/up.out")

# The trigger command exactly as printed (it names DOCKER_HOST when the user's shell would not reach the engine).
trigger=$(sed -n 's/^ *trigger the DAG: *//p' "$out/up.out")
[[ -n $trigger ]] || fail "no trigger command in up's summary"
say "triggering the DAG as the summary says: $trigger"
# The DAG processor may not have parsed the DAG file yet when the services report healthy.
for attempt in $(seq 1 12); do
  if bash -c "$trigger" >"$out/trigger.out" 2>&1; then break; fi
  [[ $attempt -lt 12 ]] || { cat "$out/trigger.out" >&2; fail "the printed trigger command failed 12 times, 5 s apart"; }
  sleep 5
done

# status until the run's users are in Cassandra with nothing waiting: then it exits 0.
start_status=$(date +%s.%N)
while :; do
  status_exit=0
  npm run --silent status -- --json >"$out/status.json" 2>"$out/status.err" || status_exit=$?
  rows=$(node -p "const s = require('./$out/status.json'); (s.pipeline && s.pipeline.cassandraRows) || 0")
  stored=$(node -p "const s = require('./$out/status.json'); (s.pipeline && s.pipeline.usersInPostgres) || 0")
  if [[ $status_exit -eq 0 && $rows -gt 0 && $rows -eq $stored ]]; then break; fi
  if awk -v s="$(seconds_since "$start_status")" -v t="$status_timeout" 'BEGIN { exit !(s > t) }'; then
    cat "$out/status.json" "$out/status.err" >&2
    fail "status did not exit 0 with the stored users in Cassandra within $status_timeout s (exit $status_exit, $stored stored, $rows rows)"
  fi
  sleep 10
done
say "status exits 0: $stored users stored in PostgreSQL, $rows rows in Cassandra"
npm run --silent status | tee "$out/status.out"

services=$(node -p "require('./$out/status.json').services.length")
[[ $services -gt 0 ]] || fail "status listed no service of the stack"
# The engine up deployed to, as it recorded it for down (down removes the record).
engine_host=$(node -p "require(process.env.KP_CACHE_DIR + '/platform-up.json').dockerHost")
start=$(date +%s.%N)
npm run --silent down 2>&1 | tee "$out/down.out"
down_seconds=$(seconds_since "$start")
if grep -q 'still on the engine' "$out/down.out"; then fail "down left part of the stack (artifacts/platform/down.out)"; fi

if [[ $started_engine == yes ]]; then
  # up started the engine: down stops it, so nothing of ours may answer or run, and its data root holds no volume.
  if bash scripts/docker-engine.sh status >/dev/null 2>&1; then fail "the engine up started still answers after down"; fi
  pid=$(cat "$engine_dir/dockerd.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then fail "dockerd $pid still runs after down"; fi
  left=$(find "$engine_dir/data/volumes" -mindepth 1 -maxdepth 1 -name 'kp-*' 2>/dev/null | wc -l)
  [[ $left -eq 0 ]] || fail "$left volumes of the stack left in the engine's data root"
else
  left=$( { export DOCKER_HOST=$engine_host; docker ps -a --format '{{.Names}}'; docker network ls --format '{{.Name}}'; docker volume ls --format '{{.Name}}'; } | grep -c '^kp-' || true)
  [[ $left -eq 0 ]] || fail "$left containers, networks or volumes of the stack left after down"
fi
[[ ! -e "$KP_CACHE_DIR/platform-up.json" ]] || fail "down left up's state file"

cat >"$out/figures.json" <<JSON
{ "upSeconds": $up_seconds, "deploySeconds": ${deploy_seconds:-null}, "engineStartedByUp": "$started_engine",
  "usersStored": $stored, "cassandraRows": $rows, "downSeconds": $down_seconds }
JSON
cat "$out/figures.json"
say "up → status → down: passed"
