# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/cp-kafka, also
# tagged kafka-pipelining/cp-zookeeper (one image serves both services), the names ImageSource.builtOnHost()
# gives Confluent's images. Apache Kafka and ZooKeeper jars from Maven Central (the Kafka release inside
# CONFLUENT_PLATFORM_VERSION, HOST_BUILD.kafka) on the JRE image, with Confluent-style commands on PATH
# (host/), and the JMX exporter's Java agent (Maven Central) for the monitoring.

CONFLUENT_PLATFORM_VERSION=$(kp_versions_ts v.CONFLUENT_PLATFORM_VERSION)
KAFKA_VERSION=$(kp_versions_ts v.HOST_BUILD.kafka)
KAFKA_SCALA_BINARY_VERSION=$(kp_versions_ts v.HOST_BUILD.kafkaScalaBinary)
SLF4J_VERSION=$(kp_versions_ts v.HOST_BUILD.slf4j)
RELOAD4J_VERSION=$(kp_versions_ts v.HOST_BUILD.reload4j)
KAFKA_TAG=$(kp_host_image_ref kafka)
ZOOKEEPER_TAG=$(kp_host_image_ref zookeeper)

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
  jmx_exporter_agent "$ctx/jmx-exporter" cp-kafka
}

# Every command on PATH must find its main class: `--version` (or a config error for ZooKeeper) rather
# than "Could not find or load main class".
smoke_test_cp-kafka() {
  local tag=$1 out
  out=$(docker run --rm -e KAFKA_HEAP_OPTS=-Xmx64m "$tag" bash -c '
    for c in kafka-server-start kafka-broker-api-versions kafka-topics kafka-configs kafka-acls kafka-console-producer kafka-console-consumer; do
      printf "%s: %s\n" "$c" "$("$c" --version 2>&1 | tail -n 1)"
    done
    printf "zookeeper-server-start: %s\n" "$(zookeeper-server-start /nonexistent 2>&1 | grep -m1 -E "Invalid config|main class" || true)"
    id
    ls -l /opt/jmx-exporter/jmx_prometheus_javaagent.jar' 2>&1)
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if grep -qE 'main class|No such file|command not found' <<<"$out" || ! grep -q "uid=$APPUSER_UID(appuser)" <<<"$out" \
    || ! grep -q '^-rw-r--r-- .* /opt/jmx-exporter/jmx_prometheus_javaagent.jar$' <<<"$out"; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_cp_kafka() {
  build_image cp-kafka "$JRE_TAG" "$KAFKA_TAG" "$ZOOKEEPER_TAG" -- \
    "JRE_IMAGE=$JRE_TAG" \
    "CONFLUENT_PLATFORM_VERSION=$CONFLUENT_PLATFORM_VERSION" \
    "KAFKA_VERSION=$KAFKA_VERSION" \
    "SCALA_BINARY_VERSION=$KAFKA_SCALA_BINARY_VERSION" \
    "SLF4J_VERSION=$SLF4J_VERSION" \
    "RELOAD4J_VERSION=$RELOAD4J_VERSION" \
    "APPUSER_UID=$APPUSER_UID" \
    "$(jmx_exporter_build_arg)"
}
