# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/cassandra,
# Apache Cassandra from Maven Central jars (org.apache.cassandra:cassandra-all and its runtime
# dependencies, resolved by mvn on the host) on the JRE image, with cqlsh (HOST_BUILD.cqlsh) from PyPI
# wheels downloaded on the host, laid out and configured like the official cassandra image (host/), and the
# JMX exporter's Java agent (Maven Central) for the monitoring.

CASSANDRA_VERSION=$(kp_versions_ts v.CASSANDRA_VERSION)
CASSANDRA_TAG=$(kp_host_image_ref cassandra)
CASSANDRA_UID=${KP_CASSANDRA_UID:-999}                            # as the official image
CQLSH_PYTHON_VERSION=${KP_CQLSH_PYTHON_VERSION:-$(kp_versions_ts v.HOST_BUILD.python)}   # the Debian base's python3
# cqlsh and its dependencies, `name==version` each.
CQLSH_REQUIREMENTS=$(kp_versions_ts "Object.entries(v.HOST_BUILD.cqlsh).map(([name, version]) => name + '==' + version).join(' ')")

prepare_context_cassandra() {
  local ctx=$1 t
  ensure_maven
  say "mvn dependency:copy-dependencies (cassandra-all:$CASSANDRA_VERSION)"
  t=$(now)
  logged "$logs/cassandra-mvn.log" mvn -B -f "$ctx/pom.xml" -Dmaven.repo.local="$m2_repo" \
    -Dcassandra.version="$CASSANDRA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/libs"
  rm -f "$ctx/pom.xml"
  # Native libraries for other operating systems (macOS, Windows) never load here.
  find "$ctx/libs" -name '*.jar' \( -name '*-osx-*' -o -name '*-windows-*' \) -delete
  [[ -f "$ctx/libs/cassandra-all-$CASSANDRA_VERSION.jar" ]] || { say "cassandra-all-$CASSANDRA_VERSION.jar missing"; return 1; }
  ls "$ctx"/libs/jamm-*.jar >/dev/null 2>&1 || { say "no jamm jar in the classpath (the -javaagent)"; return 1; }
  say "mvn took $(since "$t"): $(find "$ctx/libs" -name '*.jar' | wc -l) jars, $(du -sh "$ctx/libs" | cut -f1)"

  # cqlsh: wheels for the image's CPython and architecture, downloaded here (kept under $KP_CACHE_DIR so a
  # rebuild reuses them) and copied into the context.
  local arch platform wheels=$cache/wheels-cassandra
  arch=$(uname -m)
  case "$arch" in
    x86_64 | aarch64) platform=(--platform "manylinux2014_$arch" --platform "manylinux_2_28_$arch") ;;
    *) say "no manylinux wheels for $arch"; return 1 ;;
  esac
  local pip=("$HOST_PYTHON" -m pip)
  "${pip[@]}" --version >/dev/null 2>&1 || { say "python3 -m pip is needed on the host to download cqlsh's wheels"; return 1; }
  local requirements req name
  read -ra requirements <<<"$CQLSH_REQUIREMENTS"
  say "pip download ${requirements[*]} (CPython $CQLSH_PYTHON_VERSION, $arch)"
  t=$(now)
  mkdir -p "$wheels"
  logged "$logs/cassandra-pip.log" "${pip[@]}" download --disable-pip-version-check --no-deps \
    --only-binary=:all: "${platform[@]}" --python-version "$CQLSH_PYTHON_VERSION" --implementation cp \
    -d "$wheels" "${requirements[@]}"
  mkdir -p "$ctx/wheels"
  # Only the pinned files (the cache directory may hold other versions from earlier pins).
  for req in "${requirements[@]}"; do
    name=${req%%==*}; name=${name//-/_}
    cp "$wheels"/"${name}"-"${req#*==}"-*.whl "$ctx/wheels/" 2>/dev/null \
      || cp "$wheels"/"${name,,}"-"${req#*==}"-*.whl "$ctx/wheels/" \
      || { say "no wheel for $req in $wheels"; return 1; }
  done
  say "pip took $(since "$t"): $(find "$ctx/wheels" -name '*.whl' | wc -l) wheels"
  jmx_exporter_agent "$ctx/jmx-exporter" cassandra
}

# The commands resolve (server class, version, cqlsh, user), then (unless
# KP_CASSANDRA_SMOKE_START=0) a node starts with the construct's environment and answers
# `cqlsh -e 'describe keyspaces'`, the construct's health check.
smoke_test_cassandra() {
  local tag=$1 out status=0 cqlsh_major
  cqlsh_major=$(kp_versions_ts "v.HOST_BUILD.cqlsh.cqlsh.split('.')[0]")
  out=$(docker run --rm "$tag" bash -c '
      printf "cassandra -v: %s\n" "$(cassandra -R -v 2>&1 | tail -n 1)"
      printf "cqlsh: %s\n" "$(cqlsh --version 2>&1)"
      printf "java: %s\n" "$(java -version 2>&1 | head -n 1)"
      id cassandra
      ls -l /opt/jmx-exporter/jmx_prometheus_javaagent.jar' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || ! grep -q "^cassandra -v: $CASSANDRA_VERSION\$" <<<"$out" || ! grep -q "^cqlsh: cqlsh $cqlsh_major\\." <<<"$out" \
    || ! grep -q "uid=$CASSANDRA_UID(cassandra)" <<<"$out" \
    || ! grep -q '^-rw-r--r-- .* /opt/jmx-exporter/jmx_prometheus_javaagent.jar$' <<<"$out"; then
    say "smoke test of $tag failed"
    return 1
  fi
  [[ "${KP_CASSANDRA_SMOKE_START:-1}" != 0 ]] || return 0

  local name=kp-smoke-cassandra-$$ t
  t=$(now)
  docker run -d --name "$name" --memory 1536m --memory-swap 1536m \
    -e MAX_HEAP_SIZE=768M -e HEAP_NEWSIZE=192M -e CASSANDRA_CLUSTER_NAME=smoke -e CASSANDRA_DC=dc-smoke \
    -e CASSANDRA_ENDPOINT_SNITCH=GossipingPropertyFileSnitch -e CASSANDRA_NUM_TOKENS=16 "$tag" >/dev/null
  for _ in $(seq 1 90); do
    if out=$(docker exec "$name" cqlsh -e "select cluster_name, data_center, rack from system.local" 2>&1); then
      break
    fi
    [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || break
    sleep 2
  done
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if ! grep -qE 'smoke +\| +dc-smoke +\| +rack1' <<<"$out"; then
    docker logs "$name" 2>&1 | tail -n 40 >&2
    docker rm -f -v "$name" >/dev/null
    say "smoke test of $tag failed: no CQL answer"
    return 1
  fi
  say "a node answered CQL after $(since "$t")"
  docker rm -f -v "$name" >/dev/null
}

build_cassandra() {
  build_image cassandra "$JRE_TAG" "$CASSANDRA_TAG" -- \
    "JRE_IMAGE=$JRE_TAG" \
    "CASSANDRA_VERSION=$CASSANDRA_VERSION" \
    "CASSANDRA_UID=$CASSANDRA_UID" \
    "CQLSH_REQUIREMENTS=$CQLSH_REQUIREMENTS" \
    "$(jmx_exporter_build_arg)"
}
