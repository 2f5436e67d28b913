# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/debian-base,
# the root of every host-built image, made with `debootstrap --variant=minbase` of HOST_BUILD.debianSuite
# from the mirror apt on this host uses, then `docker import`. No Dockerfile and no content hash: it is
# skipped when its tag exists (KP_REBUILD_BASE=1 forces it). Sets BASE_TAG for the images built on it.

DEBIAN_SUITE=$(kp_versions_ts v.HOST_BUILD.debianSuite)
BASE_TAG=$IMAGE_PREFIX/debian-base:$DEBIAN_SUITE

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

build_debian_base() {
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
  cp "$root/images/debian-base/dpkg-slim.cfg" "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim"
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
