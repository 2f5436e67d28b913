# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/node-exporter, the
# name ImageSource.builtOnHost() gives prom/node-exporter: Debian's prometheus-node-exporter on the Debian
# base, with the public image's entrypoint and user (host/).

NODE_EXPORTER_VERSION=$(kp_versions_ts v.NODE_EXPORTER_VERSION)
NODE_EXPORTER_TAG=$(kp_host_image_ref nodeExporter)

# The release versions.ts pins, wget (the health check), run as nobody.
smoke_test_node-exporter() {
  smoke_expect "$1" 'node_exporter --version 2>&1 | head -n 1; wget --version | head -n 1; id -un' "^node_exporter, version ${NODE_EXPORTER_VERSION}[+ ]" '^GNU Wget' '^nobody$'
}

build_node_exporter() {
  build_image node-exporter "$BASE_TAG" "$NODE_EXPORTER_TAG" -- "BASE_IMAGE=$BASE_TAG" "NODE_EXPORTER_VERSION=$NODE_EXPORTER_VERSION"
}
