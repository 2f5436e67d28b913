#!/usr/bin/env bash
# The part of apache/airflow's entrypoint (scripts/docker/entrypoint_prod.sh) the platform relies on:
#
# - waits until `airflow db check` succeeds, at most CONNECTION_CHECK_MAX_COUNT tries (default 20,
#   0 skips the wait) CONNECTION_CHECK_SLEEP_TIME seconds apart (default 3), then
# - runs `bash ARGS…` and `python ARGS…` as given, and anything else as `airflow ARGS…` (a leading
#   `airflow` is optional), as the official image does.
#
# Not emulated: _AIRFLOW_DB_MIGRATE, _AIRFLOW_WWW_USER_*, _PIP_ADDITIONAL_REQUIREMENTS, the Celery broker
# wait, and adding a passwd entry for an arbitrary uid (the platform runs the image's own user).
set -euo pipefail

umask 0002

CONNECTION_CHECK_MAX_COUNT=${CONNECTION_CHECK_MAX_COUNT:-20}
CONNECTION_CHECK_SLEEP_TIME=${CONNECTION_CHECK_SLEEP_TIME:-3}

wait_for_airflow_db() {
  local try=1 output
  while ! output=$(airflow db check 2>&1); do
    if ((try >= CONNECTION_CHECK_MAX_COUNT)); then
      printf '%s\n' "$output" | tail -n 5 >&2
      echo "ERROR: the metadata database did not answer after $try tries" >&2
      exit 1
    fi
    echo "Waiting for the metadata database ($try/$CONNECTION_CHECK_MAX_COUNT)..." >&2
    sleep "$CONNECTION_CHECK_SLEEP_TIME"
    try=$((try + 1))
  done
}

if ((CONNECTION_CHECK_MAX_COUNT > 0)); then
  wait_for_airflow_db
fi

case "${1:-}" in
  bash) shift; exec /bin/bash "$@" ;;
  python) shift; exec python "$@" ;;
  airflow) shift ;;
esac
exec airflow "$@"
