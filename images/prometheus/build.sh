# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/prometheus, the
# name ImageSource.builtOnHost() gives prom/prometheus: Debian's prometheus package on the Debian base, with
# the public image's entrypoint, user, data directory and console libraries (host/).

PROMETHEUS_VERSION=$(kp_versions_ts v.PROMETHEUS_VERSION)
PROMETHEUS_TAG=$(kp_host_image_ref prometheus)

# The release versions.ts pins (Debian's suite could move on), promtool, the console libraries, wget (the
# health check), run as nobody.
smoke_test_prometheus() {
  smoke_expect "$1" 'prometheus --version 2>&1 | head -n 1; promtool --version 2>&1 | head -n 1; ls /usr/share/prometheus/console_libraries; wget --version | head -n 1; id -un' \
    "^prometheus, version ${PROMETHEUS_VERSION}[+ ]" "^promtool, version ${PROMETHEUS_VERSION}[+ ]" '^prom\.lib$' '^GNU Wget' '^nobody$'
}

build_prometheus() {
  build_image prometheus "$BASE_TAG" "$PROMETHEUS_TAG" -- "BASE_IMAGE=$BASE_TAG" "PROMETHEUS_VERSION=$PROMETHEUS_VERSION"
}
