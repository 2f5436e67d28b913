# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/jre, Debian's
# OpenJDK headless JRE of HOST_BUILD.javaMajor plus the tools the services' scripts and health checks
# use, on the Debian base (host/). Sets JRE_TAG for the images built on it.

JAVA_MAJOR=$(kp_versions_ts v.HOST_BUILD.javaMajor)
JRE_TAG=$IMAGE_PREFIX/jre:$JAVA_MAJOR

build_jre() {
  build_image jre "$BASE_TAG" "$JRE_TAG" -- "BASE_IMAGE=$BASE_TAG" "JAVA_MAJOR=$JAVA_MAJOR"
}
