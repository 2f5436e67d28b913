#!/usr/bin/env bash
# Builds the platform's images on the local engine (scripts/docker-engine.sh), with nothing pulled from
# a container registry: every image descends from a Debian base made here with debootstrap and
# `docker import`, and gets its software from Debian's packages, Maven Central, PyPI and npm.
#
# Each image has one folder, images/NAME/, holding everything that builds it: build.sh (sourced here),
# host/ (its Docker build context) and any other files it needs. This driver provides what they share
# (the content-hash cache, logs, download helpers) and builds them in order, parents first. The
# interface between the two is in images/README.md.
#
# Usage: scripts/build-host-images.sh [NAME ...]   (default: all of IMAGES below, in that order; `base`
# is debian-base, `kafka` and `zookeeper` are cp-kafka; the images of ON_REQUEST only when named)
# Talks to $DOCKER_HOST, or to this checkout's engine when DOCKER_HOST is unset (start it first with
# scripts/docker-engine.sh start). A build is skipped when an image labelled with the content hash of
# its context directory and build arguments (parent image id included) exists; the base is skipped
# when its tag exists (KP_REBUILD_BASE=1 forces it). Logs: $KP_CACHE_DIR/host-images/logs/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/versions.sh
source "$root/scripts/versions.sh"

# Parents before their children.
IMAGES=(debian-base jre cp-kafka airflow cassandra cp-schema-registry node postgres spark prometheus node-exporter postgres-exporter)
# Not the platform's: a swarm's image store (scripts/swarm-hosts.sh).
ON_REQUEST=(registry)

# `repository:tag` as ImageSource.builtOnHost() names IMAGES[name] of constructs/versions.ts.
kp_host_image_ref() {
  printf '%s/%s\n' "$IMAGE_PREFIX" "$(kp_versions_ts "v.IMAGES.$1.repository.split('/').pop() + ':' + v.IMAGES.$1.tag")"
}

IMAGE_PREFIX=$(kp_versions_ts v.HOST_IMAGE_NAMESPACE)
HASH_LABEL=kafka-pipelining.content-hash
# Confluent's images run as appuser: cp-kafka and cp-schema-registry keep that contract.
# shellcheck disable=SC2034  # read by images/*/build.sh, which shellcheck does not follow
APPUSER_UID=1000

cache_root=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
cache=$cache_root/host-images
logs=$cache/logs
# shellcheck disable=SC2034  # read by images/*/build.sh, which shellcheck does not follow
m2_repo=$cache_root/m2
# The host's Python, whose pip downloads wheels for the images (its HTTPS trusts the way to PyPI).
# shellcheck disable=SC2034  # read by images/*/build.sh, which shellcheck does not follow
HOST_PYTHON=${KP_HOST_PYTHON:-python3}
mkdir -p "$logs"

DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
[[ -x "$DOCKER_CLI" ]] || DOCKER_CLI=$(command -v docker)
if [[ -z "${DOCKER_HOST:-}" ]]; then
  eval "$(bash "$root/scripts/docker-engine.sh" env)"
fi
export DOCKER_HOST DOCKER_BUILDKIT=0
docker() { "$DOCKER_CLI" "$@"; }

say() { printf '==> %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
# Run a command with its output in a log file; on failure show the log's end.
logged() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    say "failed: $* (last lines of $log):"
    tail -n 40 "$log" >&2
    return 1
  fi
}

docker info >/dev/null 2>&1 || {
  say "no Docker engine answers at ${DOCKER_HOST}; run scripts/docker-engine.sh start first"
  exit 1
}

# ---- Dockerfile images with a content-hash cache ---------------------------------------------------
# Hash of a directory's files (paths, modes, contents) and of the given arguments.
content_hash() {
  local dir=$1; shift
  {
    printf 'arg %s\n' "$@"
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
      printf 'file %s %s %s\n' "$(stat -c %a "$f")" "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done)
  } | sha256sum | cut -d' ' -f1
}

image_id() { docker image inspect -f '{{.Id}}' "$1"; }

# build_image NAME PARENT_TAG TAG [EXTRA_TAG...] -- BUILD_ARG...
# The context is images/NAME/host, copied to $KP_CACHE_DIR/host-images/context-NAME; a function
# prepare_context_NAME (if defined) adds to it, smoke_test_NAME (if defined) checks the result. The
# hash covers the directory, the build arguments and the parent image's id (a rebuilt parent means
# a rebuild).
build_image() {
  local name=$1 parent=$2 tag=$3; shift 3
  local extra_tags=()
  while [[ $# -gt 0 && "$1" != -- ]]; do extra_tags+=("$1"); shift; done
  shift
  local args=("$@") src=$root/images/$name/host
  local hash build_args=() a parent_id
  parent_id=$(image_id "$parent") || { say "$parent is missing: build it first"; return 1; }
  hash=$(content_hash "$src" "parent=$parent_id" "${args[@]}")
  for a in "${args[@]}"; do build_args+=(--build-arg "$a"); done

  local cached
  cached=$(docker images -q --no-trunc --filter "label=$HASH_LABEL=$hash" | head -n 1)
  if [[ -n "$cached" ]]; then
    for a in "$tag" "${extra_tags[@]}"; do docker tag "$cached" "$a"; done
    say "$tag is up to date (hash ${hash:0:12}): skipped"
    return 0
  fi

  local ctx=$cache/context-$name t
  rm -rf "$ctx" && cp -a "$src" "$ctx"
  if declare -F "prepare_context_$name" >/dev/null; then "prepare_context_$name" "$ctx"; fi
  say "docker build $tag (log: $logs/$name.log)"
  t=$(now)
  logged "$logs/$name.log" docker build --network host --force-rm --label "$HASH_LABEL=$hash" "${build_args[@]}" -t "$tag" "$ctx"
  for a in "${extra_tags[@]}"; do docker tag "$tag" "$a"; done
  say "build of $tag took $(since "$t")"
  # A failed smoke test must not leave an image whose label would pass as a cached success next time.
  if declare -F "smoke_test_$name" >/dev/null && ! "smoke_test_$name" "$tag"; then
    docker rmi -f "$tag" "${extra_tags[@]}" >/dev/null
    return 1
  fi
  rm -rf "$ctx"
  # Earlier builds of the same image, now untagged.
  docker image prune -f --filter "label=$HASH_LABEL" >/dev/null
}

# wheelhouse NAME KEY CONTEXT FILL [ARGS...]: the wheels for an image, downloaded on the host once per KEY
# into $KP_CACHE_DIR/host-images/NAME-wheels/KEY by `FILL ARGS... DIR` (which replaces older keys' wheelhouses),
# then linked into the build context's wheels/.
wheelhouse() {
  local name=$1 key=$2 ctx=$3 fill=$4; shift 4
  local wheels=$cache/$name-wheels/$key partial=$cache/$name-wheels.partial t
  if [[ ! -f "$wheels/.complete" ]]; then
    say "$name wheels ($*) -> $wheels"
    t=$(now)
    rm -rf "$partial" && mkdir -p "$partial"
    logged "$logs/$name-wheels.log" "$fill" "$@" "$partial"
    touch "$partial/.complete"
    rm -rf "$cache/$name-wheels" && mkdir -p "$cache/$name-wheels" && mv "$partial" "$wheels"
    say "$name wheels took $(since "$t"): $(find "$wheels" -name '*.whl' | wc -l) wheels, $(du -sh "$wheels" | cut -f1)"
  fi
  mkdir -p "$ctx/wheels"
  cp -al "$wheels"/*.whl "$ctx/wheels/" 2>/dev/null || cp -a "$wheels"/*.whl "$ctx/wheels/"
}

# Maven resolves jars on the host (whose Java trusts the way to Maven Central); Debian's, if missing.
ensure_maven() {
  command -v mvn >/dev/null 2>&1 && return 0
  say "installing maven"
  logged "$logs/apt-maven.log" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends maven'
}

# smoke_expect TAG SCRIPT PATTERN...: runs SCRIPT with sh in the image (its entrypoint set aside), shows
# what it printed, and fails unless it exited 0 and every grep PATTERN matches a line of its output.
smoke_expect() {
  local tag=$1 script=$2 out status=0 pattern
  shift 2
  out=$(docker run --rm --entrypoint sh "$tag" -c "$script" 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  for pattern in "$@"; do
    grep -qE -- "$pattern" <<<"$out" || { say "smoke test of $tag failed: nothing matches $pattern"; return 1; }
  done
  [[ $status -eq 0 ]] || { say "smoke test of $tag failed: exit $status"; return 1; }
}

# The JMX exporter's Java agent (JMX_EXPORTER_AGENT of versions.ts), from Maven Central with its checksum
# checked, as DIR/jmx_prometheus_javaagent.jar: the images of the JVM services carry it for the monitoring
# (constructs/jmx-exporter.ts starts it). jmx_exporter_build_arg names its version among an image's build
# arguments, so that a new version rebuilds the image.
JMX_EXPORTER_ARTIFACT=$(kp_versions_ts "[v.JMX_EXPORTER_AGENT.group, v.JMX_EXPORTER_AGENT.artifact, v.JMX_EXPORTER_AGENT.version].join(':')")
jmx_exporter_build_arg() { printf 'JMX_EXPORTER_VERSION=%s\n' "${JMX_EXPORTER_ARTIFACT##*:}"; }
jmx_exporter_agent() {
  local dir=$1 name=$2
  ensure_maven
  mkdir -p "$dir"
  # No project: run where there is no pom.xml. Checksums from Central must match (-C).
  # shellcheck disable=SC2016  # expanded by the inner bash
  logged "$logs/$name-jmx-exporter.log" bash -c 'cd "$1" && shift && exec mvn -B -C "$@"' _ "$dir" \
    -Dmaven.repo.local="$m2_repo" \
    "org.apache.maven.plugins:maven-dependency-plugin:$(kp_versions_ts v.HOST_BUILD.mavenDependencyPlugin):copy" \
    -Dartifact="$JMX_EXPORTER_ARTIFACT" -DoutputDirectory="$dir" -Dmdep.stripVersion=true
  [[ -f "$dir/jmx_prometheus_javaagent.jar" ]] || { say "no jmx_prometheus_javaagent.jar from $JMX_EXPORTER_ARTIFACT"; return 1; }
  chmod 644 "$dir/jmx_prometheus_javaagent.jar"
}

# ---- the images ----------------------------------------------------------------------------------
for name in "${IMAGES[@]}" "${ON_REQUEST[@]}"; do
  # shellcheck source=/dev/null  # one file per image, listed above
  source "$root/images/$name/build.sh"
done

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${IMAGES[@]}")
start=$(now)
for target in "${targets[@]}"; do
  case "$target" in
    base) target=debian-base ;;
    kafka | zookeeper) target=cp-kafka ;;
  esac
  if declare -F "build_${target//-/_}" >/dev/null; then "build_${target//-/_}"
  else say "unknown image: $target (${IMAGES[*]} ${ON_REQUEST[*]})"; exit 2; fi
done
say "done in $(since "$start")"
docker images --filter "reference=$IMAGE_PREFIX/*" --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' >&2
