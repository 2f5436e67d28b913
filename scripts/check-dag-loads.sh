#!/usr/bin/env bash
# Proves that dags/ loads in Airflow (AIRFLOW_VERSION of constructs/versions.ts) with the packages the
# image gets from dags/requirements.lock: no import errors, and randomuser_pipeline has exactly the tasks
# fetch_and_store -> publish_outbox, its outbox_hold_seconds test hook off (0) by default. Needs no
# running Airflow, database or network past PyPI.
#
#   scripts/check-dag-loads.sh           install (or reuse) $KP_CACHE_DIR/airflow-venv, then check
#   scripts/check-dag-loads.sh --relock  regenerate dags/airflow-constraints.lock, then check
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/versions.sh
source scripts/versions.sh
pins=$(kp_versions_ts v.AIRFLOW_VERSION v.AIRFLOW_PYTHON_VERSION v.BUILD_TOOLS.uv v.BUILD_TOOLS.airflowLockExcludeNewer)
{ read -r AIRFLOW_VERSION; read -r AIRFLOW_PYTHON_VERSION; read -r UV_VERSION; read -r EXCLUDE_NEWER; } <<<"$pins"
PYTHON=${PYTHON:-python$AIRFLOW_PYTHON_VERSION}
CACHE_ROOT=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
VENV=$CACHE_ROOT/airflow-venv
UV_VENV=$CACHE_ROOT/uv-venv
LOCK=dags/airflow-constraints.lock
EXTRAS=dags/requirements.lock
REQUIREMENTS=("apache-airflow==$AIRFLOW_VERSION" apache-airflow-providers-fab apache-airflow-providers-postgres apache-airflow-providers-standard)

uv_bin() {
  if [[ "$("$UV_VENV/bin/uv" --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
    rm -rf "$UV_VENV"
    "$PYTHON" -m venv "$UV_VENV"
    "$UV_VENV/bin/pip" install --quiet "uv==$UV_VERSION"
  fi
  echo "$UV_VENV/bin/uv"
}

# From scratch: uv would otherwise prefer the old lock's pins, mixing an earlier release's dependency
# versions into a new AIRFLOW_VERSION's set.
relock() {
  rm -f "$LOCK"
  "$(uv_bin)" pip compile --quiet --universal --python-version "$AIRFLOW_PYTHON_VERSION" \
    --exclude-newer "$EXCLUDE_NEWER" \
    --custom-compile-command "scripts/check-dag-loads.sh --relock" \
    --output-file "$LOCK" - <<<"$(printf '%s\n' "${REQUIREMENTS[@]}" "-r $EXTRAS")"
}

# The venv is rebuilt only when what it is built from changes.
pins_digest() {
  {
    printf '%s\n' "${REQUIREMENTS[@]}" "uv $UV_VERSION" "$("$PYTHON" --version)"
    cat "$LOCK" "$EXTRAS"
  } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
  local digest
  digest=$(pins_digest)
  if [[ -x "$VENV/bin/python" && "$(cat "$VENV/.pins-digest" 2>/dev/null)" == "$digest" ]]; then
    echo "reusing $VENV (pins unchanged)"
    return
  fi
  local started=$SECONDS
  rm -rf "$VENV"
  "$PYTHON" -m venv --without-pip "$VENV"
  "$(uv_bin)" pip install --quiet --python "$VENV/bin/python" \
    "${REQUIREMENTS[@]}" -r "$EXTRAS" -c "$LOCK"
  echo "$digest" >"$VENV/.pins-digest"
  echo "installed $VENV in $((SECONDS - started))s"
}

check_dags() {
  AIRFLOW_HOME_TMP=$(mktemp -d)
  trap 'rm -rf "$AIRFLOW_HOME_TMP"' EXIT
  # Dummy, non-secret values: the DAG validates its settings while it is parsed. PYTHONPATH as the
  # constructs set it in the Airflow containers, for the contract package the DAG imports.
  env AIRFLOW_HOME="$AIRFLOW_HOME_TMP" \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PYTHONPATH="$PWD/jobs/contract" \
    PIPELINE_PG_DSN="postgresql://check@localhost/pipeline" \
    PIPELINE_KAFKA_BOOTSTRAP_SERVERS="localhost:9092" \
    PIPELINE_SCHEMA_REGISTRY_URL="http://localhost:8081" \
    "$VENV/bin/python" - <<'PY'
import os
import sys

from airflow.models import DagBag

# Airflow's dag processor and task runner put the bundle root (here dags/) on sys.path, which
# is how the DAG imports its helper package; a bare DagBag does not, so do it as they do.
sys.path.append(os.path.abspath("dags"))

DAG_ID = "randomuser_pipeline"
EXPECTED_TASKS = {"fetch_and_store", "publish_outbox"}
EXPECTED_EDGES = {("fetch_and_store", "publish_outbox")}

bag = DagBag(dag_folder="dags")
problems = [f"import error in {path}:\n{error}" for path, error in bag.import_errors.items()]
dag = bag.dags.get(DAG_ID)
if dag is None:
    problems.append(f"DAG {DAG_ID!r} not found; found {sorted(bag.dags)}")
else:
    tasks = {t.task_id for t in dag.tasks}
    edges = {(t.task_id, down) for t in dag.tasks for down in t.downstream_task_ids}
    problems += [f"{t.task_id} has trigger rule {t.trigger_rule}, expected all_done (relay even if the fetch failed)" for t in dag.tasks if t.task_id == "publish_outbox" and t.trigger_rule != "all_done"]
    if tasks != EXPECTED_TASKS:
        problems.append(f"tasks are {sorted(tasks)}, expected {sorted(EXPECTED_TASKS)}")
    if edges != EXPECTED_EDGES:
        problems.append(f"edges are {sorted(edges)}, expected {sorted(EXPECTED_EDGES)}")
    # The fault tests' hook must be off unless a run asks for it.
    if dag.params.get("outbox_hold_seconds") != 0:
        problems.append(f"param outbox_hold_seconds defaults to {dag.params.get('outbox_hold_seconds')!r}, expected 0")
if problems:
    print("DAG check FAILED:", *problems, sep="\n", file=sys.stderr)
    sys.exit(1)
print(f"DAG check passed: {DAG_ID} loads with tasks fetch_and_store -> publish_outbox")
PY
}

if [[ "${1:-}" == "--relock" ]]; then
  relock
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--relock]" >&2
  exit 2
fi
ensure_venv
check_dags
