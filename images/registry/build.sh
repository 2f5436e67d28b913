# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/registry, the name
# ImageSource.builtOnHost() gives the public registry image: Debian's docker-registry on the Debian base, with
# the public image's config path, storage, port and entrypoint (host/). Only a swarm needs it
# (scripts/swarm-hosts.sh), so the default build leaves it out.

REGISTRY_VERSION=$(kp_versions_ts v.REGISTRY_VERSION)
REGISTRY_TAG=$(kp_host_image_ref registry)

# The release versions.ts pins, wget (a health check), run as the package's own user.
smoke_test_registry() {
  smoke_expect "$1" 'docker-registry --version 2>&1 | head -n 1; wget --version | head -n 1; id -un' "[ v]${REGISTRY_VERSION}[+ ~]" '^GNU Wget' '^docker-registry$'
}

build_registry() {
  build_image registry "$BASE_TAG" "$REGISTRY_TAG" -- "BASE_IMAGE=$BASE_TAG" "REGISTRY_VERSION=$REGISTRY_VERSION"
}
