#!/usr/bin/env bash
# Builds the platform's images on the local engine (scripts/docker-engine.sh), with nothing pulled from
# a container registry: every image descends from a Debian base made here with debootstrap and
# `docker import`, and gets its software from Debian's packages and Maven Central.
#
#   kafka-pipelining/debian-base:bookworm   debootstrap --variant=minbase, apt sources as on this host
#   kafka-pipelining/jre:17                 images/host/jre: Debian's OpenJDK JRE, curl, bash, procps
#   kafka-pipelining/cp-kafka:7.9.1         images/host/cp-kafka: Kafka + ZooKeeper jars from Maven
#   (= kafka-pipelining/cp-zookeeper:7.9.1)   Central, Confluent-style commands on PATH
#
# Usage: scripts/build-host-images.sh [base|jre|cp-kafka ...]   (default: all, in that order)
# Talks to $DOCKER_HOST, or to this checkout's engine when DOCKER_HOST is unset (start it first with
# scripts/docker-engine.sh start). A build is skipped when an image labelled with the content hash of
# its Dockerfile directory and build arguments (parent image id included) exists; the base is skipped
# when its tag exists (KP_REBUILD_BASE=1 forces it). Logs: $KP_CACHE_DIR/host-images/logs/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# The value of a JavaScript expression over constructs/versions.ts's exports (`v`), e.g.
# `kp_versions_ts v.AIRFLOW_VERSION`: versions.ts stays the one place for versions. Needs `npm ci`.
kp_versions_ts() {
  local esbuild=$root/node_modules/.bin/esbuild
  [[ -x "$esbuild" ]] || { echo "$esbuild is missing: run npm ci (versions come from constructs/versions.ts)" >&2; return 1; }
  # shellcheck disable=SC2016  # JavaScript, not shell
  "$esbuild" "$root/constructs/versions.ts" --format=cjs --log-level=error | node -e '
    let src = "";
    process.stdin.on("data", (d) => (src += d)).on("end", () => {
      const m = { exports: {} };
      new Function("module", "exports", src)(m, m.exports);
      const v = m.exports;
      const value = eval(process.argv[1]);
      if (value === undefined) { console.error(`undefined: ${process.argv[1]}`); process.exit(1); }
      console.log(typeof value === "string" ? value : JSON.stringify(value));
    });' "$1"
}

# `repository:tag` as ImageSource.builtOnHost() names IMAGES[name].
kp_host_image_ref() {
  printf '%s/%s\n' "$IMAGE_PREFIX" "$(kp_versions_ts "v.IMAGES.$1.repository.split('/').pop() + ':' + v.IMAGES.$1.tag")"
}

# ---- versions: from constructs/versions.ts, the one place for them ----------------------------------
IMAGE_PREFIX=$(kp_versions_ts v.HOST_IMAGE_NAMESPACE)
DEBIAN_SUITE=$(kp_versions_ts v.HOST_BUILD.debianSuite)
JAVA_MAJOR=$(kp_versions_ts v.HOST_BUILD.javaMajor)
CONFLUENT_PLATFORM_VERSION=$(kp_versions_ts v.CONFLUENT_PLATFORM_VERSION)
KAFKA_VERSION=$(kp_versions_ts v.HOST_BUILD.kafka)
KAFKA_SCALA_BINARY_VERSION=$(kp_versions_ts v.HOST_BUILD.kafkaScalaBinary)
SLF4J_VERSION=$(kp_versions_ts v.HOST_BUILD.slf4j)
RELOAD4J_VERSION=$(kp_versions_ts v.HOST_BUILD.reload4j)
APPUSER_UID=1000
# -----------------------------------------------------------------------------------------------------

BASE_TAG=$IMAGE_PREFIX/debian-base:$DEBIAN_SUITE
JRE_TAG=$IMAGE_PREFIX/jre:$JAVA_MAJOR
KAFKA_TAG=$IMAGE_PREFIX/cp-kafka:$CONFLUENT_PLATFORM_VERSION
ZOOKEEPER_TAG=$IMAGE_PREFIX/cp-zookeeper:$CONFLUENT_PLATFORM_VERSION
HASH_LABEL=kafka-pipelining.content-hash

images_dir=$root/images/host
cache_root=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
cache=$cache_root/host-images
logs=$cache/logs
m2_repo=$cache_root/m2
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

# ---- the host's Debian apt sources -----------------------------------------------------------------
# Prints the entries (deb822 stanzas or one-line `deb` lines) apt on this host uses for $DEBIAN_SUITE
# and its -updates/-security suites, comments dropped, in deb822 form.
host_debian_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$DEBIAN_SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        out = ""; types = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^[ \t]*#/) continue
          out = out line "\n"
          if (line ~ /^Types:/) types = " " substr(line, 7) " "
          if (line ~ /^Suites:/) suites = substr(line, 8)
          if (line ~ /^Enabled:/) enabled = substr(line, 9)
        }
        gsub(/[ \t]+/, " ", types); gsub(/^[ \t]+|[ \t]+$/, "", enabled)
        if (types !~ / deb / || tolower(enabled) == "no") next
        n = split(suites, s, /[ \t]+/); ok = 0
        for (j = 1; j <= n; j++) if (s[j] != "") { if (s[j] == suite || index(s[j], suite "-") == 1) ok = 1; else { ok = 0; break } }
        if (ok) printf "%s\n", out
      }' "$f"
  done
  # One-line format: deb [options] URI SUITE COMPONENTS...
  local list
  for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$list" ]] || continue
    awk -v suite="$DEBIAN_SUITE" '
      /^[ \t]*deb[ \t]/ {
        line = $0; opts = ""
        if (match(line, /\[[^]]*\]/)) { opts = substr(line, RSTART + 1, RLENGTH - 2); line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH) }
        n = split(line, f, /[ \t]+/)
        if (f[3] != suite && index(f[3], suite "-") != 1) next
        comps = ""; for (i = 4; i <= n; i++) comps = comps (comps == "" ? "" : " ") f[i]
        printf "Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n", f[2], f[3], comps
        if (match(opts, /signed-by=[^ ]+/)) printf "Signed-By: %s\n", substr(opts, RSTART + 10, RLENGTH - 10)
        printf "\n"
      }' "$list"
  done
}

# The mirror apt uses for $DEBIAN_SUITE itself (the first matching entry's first URI).
host_debian_mirror() {
  host_debian_sources | awk -v suite="$DEBIAN_SUITE" '
    BEGIN { RS = ""; FS = "\n" }
    {
      uri = ""; hit = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^URIs:/) { split(substr($i, 6), u, /[ \t]+/); for (k in u) if (u[k] != "" && uri == "") uri = u[k] }
        if ($i ~ /^Suites:/) { n = split(substr($i, 8), s, /[ \t]+/); for (j = 1; j <= n; j++) if (s[j] == suite) hit = 1 }
      }
      if (hit && uri != "") { print uri; exit }
    }'
}

# ---- (a) the Debian base -----------------------------------------------------------------------------
build_base() {
  if [[ "${KP_REBUILD_BASE:-0}" != 1 ]] && docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
    say "$BASE_TAG exists: skipped"
    return 0
  fi
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || {
    say "installing debootstrap"
    logged "$logs/apt-debootstrap.log" bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap'
  }
  local mirror sources
  mirror=$(host_debian_mirror)
  sources=$(host_debian_sources)
  [[ -n "$mirror" ]] || { say "no apt source for suite $DEBIAN_SUITE in /etc/apt/sources.list{,.d/*}"; return 1; }
  local rootfs=$cache/rootfs-$DEBIAN_SUITE
  rm -rf "$rootfs"
  say "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror"
  local t
  t=$(now)
  logged "$logs/debootstrap.log" env PATH="/usr/sbin:/sbin:$PATH" \
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$mirror"
  say "debootstrap took $(since "$t")"

  # apt inside the image uses the same sources as this host.
  rm -f "$rootfs/etc/apt/sources.list"
  printf '%s\n' "$sources" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  local key
  for key in $(printf '%s\n' "$sources" | awk '/^Signed-By:/ { print $2 }'); do
    if [[ "$key" == /* && -f "$key" && ! -e "$rootfs$key" ]]; then
      mkdir -p "$(dirname "$rootfs$key")" && cp "$key" "$rootfs$key"
    fi
  done
  # Like Debian's official images: services are not started by package installs in builds, and no
  # host-specific files or caches are left in the image.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # Slim, as Debian's `-slim` images (debuerreotype): no documentation, manuals or translations,
  # neither now nor from later package installs (copyright files stay).
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/*
  # update-alternatives links manual pages there, and fails without the directory (Debian #863199:
  # openjdk's postinst).
  mkdir -p "$rootfs/usr/share/man/man1"
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  : >"$rootfs/etc/resolv.conf"
  printf 'localhost\n' >"$rootfs/etc/hostname"

  t=$(now)
  say "docker import -> $BASE_TAG"
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["bash"]' \
    -c "LABEL org.opencontainers.image.title=$BASE_TAG debian.suite=$DEBIAN_SUITE debian.mirror=$mirror $HASH_LABEL=debootstrap" \
    -m "debootstrap --variant=minbase $DEBIAN_SUITE $mirror" \
    - "$BASE_TAG" >/dev/null
  say "import took $(since "$t")"
  rm -rf "$rootfs"
  docker image prune -f --filter "label=$HASH_LABEL" >/dev/null
}

# ---- (b, c) Dockerfile images with a content-hash cache --------------------------------------------
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
# The context is images/host/NAME, copied to $KP_CACHE_DIR/host-images/context-NAME; a function
# prepare_context_NAME (if defined) adds to it, smoke_test_NAME (if defined) checks the result. The
# hash covers the directory, the build arguments and the parent image's id (a rebuilt parent means
# a rebuild).
build_image() {
  local name=$1 parent=$2 tag=$3; shift 3
  local extra_tags=()
  while [[ $# -gt 0 && "$1" != -- ]]; do extra_tags+=("$1"); shift; done
  shift
  local args=("$@") src=$images_dir/$name
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

# The Kafka classpath: Maven resolves pom.xml's artifacts and their runtime dependencies on the host
# (whose Java trusts the way to Maven Central), and the build copies them in.
prepare_context_cp-kafka() {
  local ctx=$1 t
  ensure_maven
  say "mvn dependency:copy-dependencies (kafka_$KAFKA_SCALA_BINARY_VERSION:$KAFKA_VERSION + kafka-tools)"
  t=$(now)
  logged "$logs/cp-kafka-mvn.log" mvn -B -f "$ctx/pom.xml" -Dmaven.repo.local="$m2_repo" \
    -Dkafka.version="$KAFKA_VERSION" -Dscala.binary.version="$KAFKA_SCALA_BINARY_VERSION" \
    -Dslf4j.version="$SLF4J_VERSION" -Dreload4j.version="$RELOAD4J_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/libs"
  rm -f "$ctx/pom.xml"
  say "mvn took $(since "$t"): $(find "$ctx/libs" -name '*.jar' | wc -l) jars, $(du -sh "$ctx/libs" | cut -f1)"
}

# Every command on PATH must find its main class: `--version` (or a config error for ZooKeeper) rather
# than "Could not find or load main class".
smoke_test_cp-kafka() {
  local tag=$1 out
  out=$(docker run --rm -e KAFKA_HEAP_OPTS=-Xmx64m "$tag" bash -c '
    for c in kafka-server-start kafka-broker-api-versions kafka-topics kafka-console-producer kafka-console-consumer; do
      printf "%s: %s\n" "$c" "$("$c" --version 2>&1 | tail -n 1)"
    done
    printf "zookeeper-server-start: %s\n" "$(zookeeper-server-start /nonexistent 2>&1 | grep -m1 -E "Invalid config|main class" || true)"
    id' 2>&1)
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if grep -qE 'main class|No such file|command not found' <<<"$out" || ! grep -q "uid=$APPUSER_UID(appuser)" <<<"$out"; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_jre() {
  build_image jre "$BASE_TAG" "$JRE_TAG" -- "BASE_IMAGE=$BASE_TAG" "JAVA_MAJOR=$JAVA_MAJOR"
}

build_cp_kafka() {
  build_image cp-kafka "$JRE_TAG" "$KAFKA_TAG" "$ZOOKEEPER_TAG" -- \
    "JRE_IMAGE=$JRE_TAG" \
    "CONFLUENT_PLATFORM_VERSION=$CONFLUENT_PLATFORM_VERSION" \
    "KAFKA_VERSION=$KAFKA_VERSION" \
    "SCALA_BINARY_VERSION=$KAFKA_SCALA_BINARY_VERSION" \
    "SLF4J_VERSION=$SLF4J_VERSION" \
    "RELOAD4J_VERSION=$RELOAD4J_VERSION" \
    "APPUSER_UID=$APPUSER_UID"
}

# Further images live one file each in scripts/host-images/NAME.sh, defining build_NAME (dashes as
# underscores) and appending NAME to ALL_IMAGES in the order they must be built.
ALL_IMAGES=(base jre cp-kafka)
for extra in "$root"/scripts/host-images/*.sh; do
  [[ -e "$extra" ]] && source "$extra"
done

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_IMAGES[@]}")
start=$(now)
for target in "${targets[@]}"; do
  case "$target" in
    base) build_base ;;
    kafka | zookeeper) build_cp_kafka ;;
    *)
      if declare -F "build_${target//-/_}" >/dev/null; then "build_${target//-/_}"
      else say "unknown image: $target (${ALL_IMAGES[*]})"; exit 2; fi
      ;;
  esac
done
say "done in $(since "$start")"
docker images --filter "reference=$IMAGE_PREFIX/*" --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' >&2
