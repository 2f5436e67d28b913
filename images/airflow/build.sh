# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/airflow, Apache
# Airflow on the Debian base's Python with the providers the platform uses (fab, postgres, standard) and
# the DAG's packages (dags/requirements.lock), every version from dags/airflow-constraints.lock (host/).
# The wheels come from PyPI through pip on this host (whose HTTPS trusts the workplace CA) into
# $KP_CACHE_DIR/host-images/airflow-wheels/, keyed by the locks, and are installed offline.

AIRFLOW_UID=${KP_AIRFLOW_UID:-50000}
# Installed on top of apache-airflow; their versions come from the constraints lock.
AIRFLOW_PROVIDERS="apache-airflow-providers-fab apache-airflow-providers-postgres apache-airflow-providers-standard"

# Every wheel the image's install needs, for CPython $1 on this architecture with the Debian base's glibc
# (HOST_BUILD.glibc) or older, from PyPI into $2 (a directory that pip reuses files from).
airflow_download_wheels() {
  local py=$1 dest=$2 arch platforms=() glibc g
  arch=$(uname -m)
  glibc=$(kp_versions_ts v.HOST_BUILD.glibc)
  platforms=(--platform "manylinux1_$arch" --platform "manylinux2010_$arch" --platform "manylinux2014_$arch" --platform "linux_$arch")
  # From manylinux_2_5 (= manylinux1, the oldest tag) up to the base's glibc.
  for g in $(seq 5 "${glibc#*.}"); do platforms+=(--platform "manylinux_${glibc%%.*}_${g}_$arch"); done
  # shellcheck disable=SC2086  # AIRFLOW_PROVIDERS: one package a word
  env -u PIP_FIND_LINKS "$HOST_PYTHON" -m pip download --quiet --only-binary=:all: \
    --python-version "$py" --implementation cp --abi "cp${py/./}" --abi abi3 --abi none "${platforms[@]}" \
    --dest "$dest" \
    --constraint "$root/dags/airflow-constraints.lock" \
    "apache-airflow==$AIRFLOW_PIN" $AIRFLOW_PROVIDERS \
    --requirement "$root/dags/requirements.lock"
}

prepare_context_airflow() {
  local ctx=$1
  wheelhouse airflow "$AIRFLOW_LOCKS_SHA" "$ctx" airflow_download_wheels "$AIRFLOW_PYTHON"
  cp "$root/dags/airflow-constraints.lock" "$root/dags/requirements.lock" "$ctx/"
}

# The CLI, the DAG's imports, the Postgres driver the construct's DSN names, curl, and the user.
smoke_test_airflow() {
  local tag=$1 out status=0
  out=$(docker run --rm -e CONNECTION_CHECK_MAX_COUNT=0 "$tag" bash -c '
      set -e
      printf "airflow: %s\n" "$(airflow version 2>/dev/null)"
      python - <<"PY"
import importlib.metadata as md
import confluent_kafka, fastavro, psycopg2, requests  # the DAG imports these
import airflow.providers.fab.auth_manager.fab_auth_manager, airflow.providers.postgres, airflow.providers.standard
from sqlalchemy.dialects.postgresql import psycopg2 as dialect
for dist in ("apache-airflow", "apache-airflow-providers-fab", "apache-airflow-providers-postgres",
             "apache-airflow-providers-standard", "confluent-kafka", "fastavro", "psycopg2-binary"):
    print(f"{dist}: {md.version(dist)}")
PY
      printf "python: %s\n" "$(python --version)"
      curl --version | head -n 1
      id
      printf "AIRFLOW_HOME=%s\n" "$AIRFLOW_HOME"
      stat -c "%n %U:%G" /opt/airflow/dags /opt/airflow/logs
    ' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || ! grep -qx "airflow: $AIRFLOW_PIN" <<<"$out" \
    || ! grep -q "uid=$AIRFLOW_UID(airflow) gid=0(root)" <<<"$out" \
    || [[ $(grep -c "airflow:root$" <<<"$out") -ne 2 ]]; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_airflow() {
  AIRFLOW_PIN=$(kp_versions_ts v.AIRFLOW_VERSION)
  AIRFLOW_PYTHON=$(kp_versions_ts v.AIRFLOW_PYTHON_VERSION)
  AIRFLOW_LOCKS_SHA=$(cat "$root/dags/airflow-constraints.lock" "$root/dags/requirements.lock" | sha256sum | cut -c1-16)
  local tag
  tag=$(kp_host_image_ref airflow)
  build_image airflow "$BASE_TAG" "$tag" -- \
    "BASE_IMAGE=$BASE_TAG" \
    "AIRFLOW_VERSION=$AIRFLOW_PIN" \
    "PYTHON_VERSION=$AIRFLOW_PYTHON" \
    "AIRFLOW_PACKAGES=$AIRFLOW_PROVIDERS" \
    "AIRFLOW_UID=$AIRFLOW_UID" \
    "LOCKS_SHA256=$AIRFLOW_LOCKS_SHA"
}
