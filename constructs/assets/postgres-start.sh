#!/usr/bin/env bash
# The PostgreSQL container's command, in front of the image's own entrypoint (the official image's and
# the host-built one's behave alike here):
#
#   bash postgres-start.sh postgres [-c name=value ...]
#
# The roles, databases and passwords of the deploy (postgres-roles.sql, its variables in the environment)
# are applied at every start, so that a data volume kept across `cdktf destroy` and `cdktf deploy` takes
# the passwords generated now, and a cluster from before the roles per purpose gets them:
#   - on an existing cluster, here, through a temporary server on the unix socket only (local connections
#     are trusted, TCP clients are not served yet, so `pg_isready -h 127.0.0.1` stays false); then it hands
#     over to the entrypoint, which starts the server as the container's main process;
#   - on a new cluster, the entrypoint initialises it and runs its /docker-entrypoint-initdb.d hooks with
#     its own socket-only server: the hook (postgres-init-roles.sh) runs `postgres-start.sh --apply-roles`.
# PGHOST (default /var/run/postgresql) is the socket's directory, PGPORT its port. On a swarm the passwords
# come as files (<NAME>_FILE), read here once for the whole start (secret-files.sh).
set -Eeuo pipefail
# shellcheck source=constructs/assets/secret-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/secret-files.sh"
read_secret_files POSTGRES_PASSWORD KP_PG_AIRFLOW_PASSWORD KP_PG_PIPELINE_PASSWORD KP_PG_MONITORING_PASSWORD

log() { printf '%s [postgres-start] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

PGDATA=${PGDATA:-/var/lib/postgresql/data}
PGHOST=${PGHOST:-/var/run/postgresql}
export PGDATA PGHOST
ROLES_SQL="$(dirname "${BASH_SOURCE[0]}")/postgres-roles.sql"

# Against the server on the socket, as the superuser. VERBOSITY terse keeps passwords out of error output.
apply_roles() {
  : "${POSTGRES_USER:?must be set: the superuser}"
  psql -v ON_ERROR_STOP=1 -v VERBOSITY=terse --no-psqlrc --no-password --quiet \
    --username "$POSTGRES_USER" --dbname postgres --file "$ROLES_SQL"
  log "roles ${KP_PG_AIRFLOW_ROLE@Q}, ${KP_PG_PIPELINE_ROLE@Q}, ${KP_PG_MONITORING_ROLE@Q} and their databases applied, with the deployed passwords"
}

# Runs as postgres (pg_ctl refuses root).
reconcile_existing_cluster() {
  log "existing cluster in $PGDATA: applying the deployed roles and passwords"
  # log_min_error_statement=panic: a failing statement is not echoed into the log with a password in it.
  # The server's own log (crash recovery, errors) goes to the container's output like the main server's.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses= -c unix_socket_directories=$PGHOST -c log_min_error_statement=panic" -w -t 120 start
  apply_roles
  pg_ctl -D "$PGDATA" -m fast -w stop
}

case "${1:-}" in
  --apply-roles) apply_roles; exit ;;
  --reconcile) reconcile_existing_cluster; exit ;;
esac

if [[ -s "$PGDATA/PG_VERSION" ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- bash "${BASH_SOURCE[0]}" --reconcile
  else
    reconcile_existing_cluster
  fi
fi
exec docker-entrypoint.sh "$@"
