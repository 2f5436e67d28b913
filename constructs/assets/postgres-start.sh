#!/usr/bin/env bash
# The PostgreSQL container's command, in front of the image's own entrypoint (the official image's and
# the host-built one's behave alike here):
#
#   bash postgres-start.sh postgres [-c name=value ...]
#
# The entrypoint initialises a new cluster with POSTGRES_USER/POSTGRES_PASSWORD but uses an existing one
# as it is, so a data volume kept across `cdktf destroy` and `cdktf deploy` would still hold the password
# of the first deploy while every client gets the one generated now. On an existing cluster this first
# sets POSTGRES_USER's password to POSTGRES_PASSWORD, through a temporary server on the unix socket only
# (local connections are trusted, TCP clients are not served yet, so `pg_isready -h 127.0.0.1` stays
# false); then it hands over to the entrypoint, which starts the server as the container's main process.
set -Eeuo pipefail

log() { printf '%s [postgres-start] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

# Runs as postgres (pg_ctl refuses root).
reconcile_password() {
  : "${POSTGRES_USER:?must be set: the role whose password is reconciled}"
  : "${POSTGRES_PASSWORD:?must be set: the password the role must have}"
  log "existing cluster in $PGDATA: setting the password of role ${POSTGRES_USER@Q} to the deployed one"
  # log_min_error_statement=panic: a failing statement is not echoed into the log with the password in it.
  # The server's own log (crash recovery, errors) goes to the container's output like the main server's.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses= -c log_min_error_statement=panic" -w -t 120 start
  # \getenv keeps the password out of every command line; VERBOSITY terse keeps it out of error output.
  psql -v ON_ERROR_STOP=1 -v VERBOSITY=terse --no-psqlrc --no-password --quiet \
    --username "$POSTGRES_USER" --dbname postgres --host /var/run/postgresql <<'SQL'
\getenv role POSTGRES_USER
\getenv password POSTGRES_PASSWORD
ALTER ROLE :"role" WITH PASSWORD :'password';
SQL
  pg_ctl -D "$PGDATA" -m fast -w stop
  log "password set"
}

if [[ "${1:-}" == --reconcile-password ]]; then
  reconcile_password
  exit
fi

if [[ -s "$PGDATA/PG_VERSION" ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- bash "${BASH_SOURCE[0]}" --reconcile-password
  else
    reconcile_password
  fi
fi
exec docker-entrypoint.sh "$@"
