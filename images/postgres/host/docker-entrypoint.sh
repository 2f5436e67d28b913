#!/usr/bin/env bash
# The official postgres image's entrypoint contract, for Debian's postgresql packages:
#
#   docker-entrypoint.sh postgres [-c name=value ...]
#
# As root: creates $PGDATA and /var/run/postgresql owned by postgres and re-executes itself as postgres
# (setpriv). As postgres, when $PGDATA has no cluster yet:
#   1. initdb with POSTGRES_USER as the bootstrap superuser and POSTGRES_PASSWORD as its password
#      (scram-sha-256), POSTGRES_INITDB_ARGS appended; listen_addresses='*' (from the sample file);
#   2. pg_hba.conf: local socket trust (processes in the container, as the official image), TCP
#      from anywhere with a password (POSTGRES_HOST_AUTH_METHOD, default scram-sha-256);
#   3. a server on the unix socket only (listen_addresses=''), so `pg_isready -h 127.0.0.1` stays
#      false until the real server runs, creates POSTGRES_DB (default: POSTGRES_USER) owned by
#      POSTGRES_USER and runs /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz in name order,
#      then stops.
# Finally it execs the command. An existing cluster is used as it is: the variables only act at
# initialisation. A first argument starting with '-' means `postgres <args>`.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -eq 0 || "${1:0:1}" == - ]]; then
  set -- postgres "$@"
fi

# Only the server gets the set-up; `docker run IMAGE bash` or `psql ...` run as they are.
if [[ "$1" != postgres ]]; then
  exec "$@"
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [[ "$(id -u)" == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  # Not recursive through an existing cluster unless needed: only what postgres does not own.
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

if [[ -s "$PGDATA/PG_VERSION" ]]; then
  log "PostgreSQL $(cat "$PGDATA/PG_VERSION") cluster found in $PGDATA: initialisation skipped"
  exec "$@"
fi

# ---- first start -------------------------------------------------------------------------------
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
POSTGRES_INITDB_ARGS=${POSTGRES_INITDB_ARGS:-}

if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
  die "the database is uninitialised and POSTGRES_PASSWORD is empty; set it (or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password)"
fi

mkdir -p "$PGDATA"
chmod 0700 "$PGDATA" || :
if [[ -n "$(ls -A "$PGDATA")" ]]; then
  die "$PGDATA is not empty but holds no cluster (no PG_VERSION): refusing to initialise over it"
fi

log "initdb: superuser ${POSTGRES_USER@Q}, database ${POSTGRES_DB@Q}, host auth $POSTGRES_HOST_AUTH_METHOD"
pwfile=$(mktemp)
trap 'rm -f "$pwfile"' EXIT
printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
host_auth=$POSTGRES_HOST_AUTH_METHOD
[[ -n "$POSTGRES_PASSWORD" ]] || host_auth=trust
# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the official image
initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host="$host_auth" \
  $POSTGRES_INITDB_ARGS
rm -f "$pwfile"

{
  printf '\n# docker-entrypoint.sh: connections over TCP from anywhere, with a password\n'
  printf 'host all all 0.0.0.0/0 %s\n' "$POSTGRES_HOST_AUTH_METHOD"
  printf 'host all all ::/0 %s\n' "$POSTGRES_HOST_AUTH_METHOD"
} >>"$PGDATA/pg_hba.conf"

# The temporary server takes the command's settings (e.g. -c shared_buffers=...) but no TCP socket.
server_args=("${@:2}" -c "listen_addresses=" -p "${PGPORT:-5432}")
log "starting a temporary server on the unix socket only"
pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server_args[@]}")" -w -t 60 start

psql_init=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" --host /var/run/postgresql)

if [[ "$POSTGRES_DB" != postgres ]]; then
  log "creating database ${POSTGRES_DB@Q} owned by ${POSTGRES_USER@Q}"
  "${psql_init[@]}" --dbname postgres --set db="$POSTGRES_DB" --set owner="$POSTGRES_USER" <<'SQL'
CREATE DATABASE :"db" OWNER :"owner";
SQL
fi

shopt -s nullglob
for f in /docker-entrypoint-initdb.d/*; do
  case "$f" in
    *.sh)
      if [[ -x "$f" ]]; then log "running $f"; "$f"
      else log "sourcing $f"; # shellcheck disable=SC1090
        . "$f"; fi ;;
    *.sql) log "running $f"; "${psql_init[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
    *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql_init[@]}" --dbname "$POSTGRES_DB" ;;
    *) log "ignoring $f" ;;
  esac
done
shopt -u nullglob

pg_ctl -D "$PGDATA" -m fast -w stop
log "initialisation complete; starting: $*"
exec "$@"
