# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/spark, Apache
# Spark from PyPI's pyspark (Spark's jars, bin/, sbin/ and the Python package in one) on the JRE image,
# with the pipeline's connector jars (SPARK_CONNECTOR_JARS) and /checkpoints (host/). The host builds
# the pyspark wheel ($KP_CACHE_DIR/host-images/spark-wheels/) and Maven copies the jars ($KP_CACHE_DIR/m2),
# since HTTPS from inside a build does not reach PyPI or Maven Central here.

SPARK_UID=${KP_SPARK_UID:-185}
SPARK_PYTHON_VERSION=${KP_SPARK_PYTHON_VERSION:-$(kp_versions_ts v.HOST_BUILD.python)}   # the Debian base's python3

# A pom depending on the given group:artifact:version coordinates, each without its dependencies: the
# pinned list in constructs/versions.ts is already complete.
spark_connector_pom() {
  local coordinate g a v exclusions='<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>'
  printf '<project>\n  <modelVersion>4.0.0</modelVersion>\n'
  printf '  <groupId>kafka-pipelining</groupId><artifactId>spark-connectors</artifactId><version>0</version>\n'
  printf '  <packaging>pom</packaging>\n  <dependencies>\n'
  for coordinate in "$@"; do
    IFS=: read -r g a v <<<"$coordinate"
    printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>%s</dependency>\n' "$g" "$a" "$v" "$exclusions"
  done
  printf '  </dependencies>\n</project>\n'
}

# pyspark is an sdist on PyPI (Spark's jars inside); pip builds a pure-Python wheel of it into $2.
spark_build_wheel() {
  env -u PIP_FIND_LINKS "$HOST_PYTHON" -m pip wheel --wheel-dir "$2" "pyspark==$1"
}

prepare_context_spark() {
  local ctx=$1 t
  wheelhouse spark "$SPARK_PIN" "$ctx" spark_build_wheel "$SPARK_PIN"

  ensure_maven
  t=$(now)
  # A pinned jar the repository lacks fails this step, and its log (shown on failure) names the artifact.
  say "mvn dependency:copy-dependencies ($SPARK_JARS)"
  local jars
  read -ra jars <<<"$SPARK_JARS"
  spark_connector_pom "${jars[@]}" >"$ctx/connectors-pom.xml"
  logged "$logs/spark-mvn-copy.log" mvn -B -f "$ctx/connectors-pom.xml" -Dmaven.repo.local="$m2_repo" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/jars"
  rm -f "$ctx/connectors-pom.xml"
  {
    printf '# Connector jars in /opt/spark/jars besides Spark %s'"'"'s own (constructs/versions.ts SPARK_CONNECTOR_JARS)\n' "$SPARK_PIN"
    printf '%s\n' "${jars[@]}"
    printf '# files:\n'
    (cd "$ctx/jars" && ls -- *.jar)
  } >"$ctx/connector-jars.txt"
  say "mvn took $(since "$t"): $(find "$ctx/jars" -name '*.jar' | wc -l) jars, $(du -sh "$ctx/jars" | cut -f1)"
}

# spark-submit's version, a local job in Python (driver and Python workers), the connectors' classes on
# the classpath, the user and what it must own.
smoke_test_spark() {
  local tag=$1 out status=0
  out=$(docker run --rm -e SPARK_LOCAL_IP=127.0.0.1 "$tag" bash -c '
      set -e
      spark-submit --version 2>&1 | grep -m1 -o "version [0-9.]*" | sed "s/^/spark-submit: /"
      cat >/tmp/smoke.py <<"PY"
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").appName("smoke").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
print("rdd-sum:", spark.sparkContext.parallelize(range(101)).map(lambda x: x).sum())
for cls in ("org.apache.spark.sql.kafka010.KafkaSourceProvider", "org.apache.spark.sql.avro.AvroFileFormat",
            "com.datastax.spark.connector.cql.CassandraConnector", "org.apache.kafka.clients.consumer.KafkaConsumer",
            "org.apache.commons.pool2.impl.GenericKeyedObjectPool",
            "org.apache.spark.kafka010.KafkaTokenUtil", "com.datastax.oss.driver.api.core.CqlSession"):
    spark._jvm.java.lang.Class.forName(cls)
    print("class:", cls)
spark.stop()
PY
      spark-submit --driver-memory 512m /tmp/smoke.py 2>/dev/null
      sed -n "/^# files/q;p" /opt/spark/connector-jars.txt
      id
      stat -c "%n %U" /checkpoints /opt/spark/work
    ' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || ! grep -qx "spark-submit: version $SPARK_PIN" <<<"$out" || ! grep -qx "rdd-sum: 5050" <<<"$out" \
    || [[ $(grep -c '^class:' <<<"$out") -ne 7 ]] || ! grep -q "uid=$SPARK_UID(spark)" <<<"$out" \
    || [[ $(grep -c ' spark$' <<<"$out") -ne 2 ]]; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_spark() {
  SPARK_PIN=$(kp_versions_ts v.SPARK_VERSION)
  # shellcheck disable=SC2016  # JavaScript, not shell
  SPARK_JARS=$(kp_versions_ts 'v.SPARK_CONNECTOR_JARS.map((a) => `${a.group}:${a.artifact}:${a.version}`).join(" ")')
  local tag
  tag=$(kp_host_image_ref spark)
  build_image spark "$JRE_TAG" "$tag" -- \
    "JRE_IMAGE=$JRE_TAG" \
    "SPARK_VERSION=$SPARK_PIN" \
    "SCALA_BINARY_VERSION=$(kp_versions_ts v.SCALA_BINARY_VERSION)" \
    "PYTHON_VERSION=$SPARK_PYTHON_VERSION" \
    "SPARK_UID=$SPARK_UID" \
    "SPARK_CONNECTOR_JARS=$SPARK_JARS"
}
