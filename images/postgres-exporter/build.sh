# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/postgres-exporter,
# the name ImageSource.builtOnHost() gives prometheuscommunity/postgres-exporter: Debian's
# prometheus-postgres-exporter on the Debian base, with the public image's entrypoint and user (host/).

POSTGRES_EXPORTER_VERSION=$(kp_versions_ts v.POSTGRES_EXPORTER_VERSION)
POSTGRES_EXPORTER_TAG=$(kp_host_image_ref postgresExporter)

# The release versions.ts pins, wget (the health check), run as nobody.
smoke_test_postgres-exporter() {
  smoke_expect "$1" 'postgres_exporter --version 2>&1 | head -n 1; wget --version | head -n 1; id -un' "^postgres_exporter, version ${POSTGRES_EXPORTER_VERSION}[+ ]" '^GNU Wget' '^nobody$'
}

build_postgres_exporter() {
  build_image postgres-exporter "$BASE_TAG" "$POSTGRES_EXPORTER_TAG" -- "BASE_IMAGE=$BASE_TAG" "POSTGRES_EXPORTER_VERSION=$POSTGRES_EXPORTER_VERSION"
}
