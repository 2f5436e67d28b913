# shellcheck shell=bash disable=SC2154  # root, cache, logs, m2_repo, IMAGE_PREFIX, BASE_TAG, …: from the driver
# Sourced by scripts/build-host-images.sh (interface: images/README.md): kafka-pipelining/postgres,
# PostgreSQL from Debian's postgresql-<major of POSTGRES_VERSION> (the minor the Debian suite serves at
# build time, which need not be POSTGRES_VERSION's: the tag is the name the constructs pin, see
# `debian-package-version` in the smoke test output) with an entrypoint emulating the official image's
# (host/).

POSTGRES_MAJOR=$(kp_versions_ts "v.POSTGRES_VERSION.split('.')[0]")
POSTGRES_TAG=$(kp_host_image_ref postgres)

# First start with the construct's environment: the server must come up on TCP, accept the password
# over TCP, run as postgres, and the initial database must be owned by POSTGRES_USER.
smoke_test_postgres() {
  local tag=$1 name=kp-smoke-postgres-$$ out status=0
  docker run -d --name "$name" -e POSTGRES_USER=smoke -e POSTGRES_PASSWORD=smoke-pw -e POSTGRES_DB=smokedb \
    "$tag" postgres -c max_connections=50 -c shared_buffers=32MB >/dev/null
  for _ in $(seq 1 60); do
    docker exec "$name" pg_isready -q -h 127.0.0.1 -U smoke -d smokedb && break
    sleep 1
  done
  out=$(docker exec -e PGPASSWORD=smoke-pw "$name" bash -c '
      psql -h 127.0.0.1 -U smoke -d smokedb -Atc "select version()" &&
      psql -h 127.0.0.1 -U smoke -d smokedb -Atc "select pg_get_userbyid(datdba) from pg_database where datname = current_database()" &&
      psql -h 127.0.0.1 -U smoke -d smokedb -Atc "select rolsuper from pg_roles where rolname = current_user" &&
      stat -c %U /proc/1 &&
      printf "debian-package-version: %s\n" "$(cat /usr/share/postgresql/debian-package-version)"
    ' 2>&1) || status=$?
  printf '%s\n' "$out" | sed 's/^/    /' >&2
  if [[ $status -ne 0 ]] || ! grep -qx smoke <<<"$out" || ! grep -qx t <<<"$out" || ! grep -qx postgres <<<"$out" \
    || grep -qx root <<<"$out"; then
    docker logs "$name" 2>&1 | tail -n 30 >&2
    docker rm -f "$name" >/dev/null
    say "smoke test of $tag failed"
    return 1
  fi
  docker rm -f -v "$name" >/dev/null
}

build_postgres() {
  build_image postgres "$BASE_TAG" "$POSTGRES_TAG" -- "BASE_IMAGE=$BASE_TAG" "PG_MAJOR=$POSTGRES_MAJOR"
}
