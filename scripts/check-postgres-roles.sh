#!/usr/bin/env bash
# Proves the PostgreSQL container's start script (constructs/assets/postgres-start.sh, postgres-roles.sql,
# postgres-adopt-objects.sql) on a real PostgreSQL of the pinned major version, the local one, as the
# container runs it, without an engine:
#   1. a cluster from before the roles per purpose (one superuser owning both databases and every table,
#      sequence, type, view and function in them) started with --reconcile, as at every start: the
#      airflow, pipeline and monitoring roles exist with LOGIN and nothing more, own their database and
#      what is in it, each password works over TCP and a wrong one is refused, the superuser's old
#      password is refused, and a role cannot reach the other's database nor create one;
#   2. the same cluster started again with a new deploy's passwords: the new ones work, the old ones not;
#   3. a new cluster, as the image's entrypoint hands it to the initdb.d hook (--apply-roles on its
#      socket-only server): the databases are created, owned by their roles;
#   4. the container's whole start: postgres-start.sh in front of the host-built image's entrypoint
#      (images/postgres/host/docker-entrypoint.sh, its initdb.d folder moved into the work directory), which
#      sources the hook on a new cluster; then a restart with the next deploy's passwords;
#   5. the same start on a swarm: every password only in a file its <NAME>_FILE names (secret-files.sh), the
#      variables unset; then a file that cannot be read, which stops the start naming the variable and the file.
# Needs PostgreSQL's server binaries (Debian's postgresql-<major>, installed when missing, as root) and
# /var/run/postgresql (which that package makes).
#
#   scripts/check-postgres-roles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [[ -z "${KP_CHECK_WORK:-}" ]]; then
  # shellcheck source=scripts/versions.sh
  source scripts/versions.sh
  major=$(kp_versions_ts "v.POSTGRES_VERSION.split('.')[0]")
else
  major=$KP_CHECK_MAJOR
fi
bin=/usr/lib/postgresql/$major/bin
if [[ ! -x "$bin/postgres" ]]; then
  echo "==> installing Debian's postgresql-$major"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "postgresql-$major" >/dev/null
fi
export PATH="$bin:$PATH"

# The scripts under test, copied where the postgres user can read them.
copy_scripts() {
  cp constructs/assets/postgres-start.sh constructs/assets/secret-files.sh constructs/assets/postgres-roles.sql constructs/assets/postgres-adopt-objects.sql \
    constructs/assets/postgres-init-roles.sh images/postgres/host/docker-entrypoint.sh "$1/"
}

# The server refuses to run as root: the checks run as postgres, on a copy of the scripts it can read.
if [[ "$(id -u)" == 0 ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  copy_scripts "$work"
  chown -R postgres:postgres "$work"
  setpriv --reuid=postgres --regid=postgres --init-groups -- env PATH="$PATH" KP_CHECK_WORK="$work" KP_CHECK_MAJOR="$major" bash "$root/scripts/check-postgres-roles.sh"
  exit
fi
work=${KP_CHECK_WORK:-$(mktemp -d)}
if [[ -z "${KP_CHECK_WORK:-}" ]]; then
  trap 'rm -rf "$work"' EXIT
  copy_scripts "$work"
fi
START=$work/postgres-start.sh

fail() {
  echo "postgres roles check FAILED: $*" >&2
  [[ -f "$work/server.log" ]] && tail -n 20 "$work/server.log" >&2
  exit 1
}

export PGHOST=$work/socket PGPORT=$((20000 + RANDOM % 20000))
mkdir -p "$PGHOST"
export POSTGRES_USER=platform
export KP_PG_AIRFLOW_ROLE=airflow KP_PG_AIRFLOW_DATABASE=airflow
export KP_PG_PIPELINE_ROLE=pipeline KP_PG_PIPELINE_DATABASE=pipeline
export KP_PG_MONITORING_ROLE=monitoring
deploy_passwords() { # a deploy's generated passwords: letters and digits, as random_password makes them
  local round=$1
  export POSTGRES_PASSWORD=Super${round}x9 KP_PG_AIRFLOW_PASSWORD=Airflow${round}x9 KP_PG_PIPELINE_PASSWORD=Pipeline${round}x9 KP_PG_MONITORING_PASSWORD=Monitoring${round}x9
}

new_cluster() {
  export PGDATA=$work/data-$1
  printf '%s\n' "$POSTGRES_PASSWORD" >"$work/pw"
  initdb --username="$POSTGRES_USER" --pwfile="$work/pw" --auth-local=trust --auth-host=scram-sha-256 >"$work/initdb.log"
  printf 'host all all 127.0.0.1/32 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
}
socket_server() { pg_ctl -D "$PGDATA" -o "-c listen_addresses= -c unix_socket_directories=$PGHOST" -l "$work/server.log" -w start >/dev/null; }
tcp_server() { pg_ctl -D "$PGDATA" -o "-c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGHOST" -l "$work/server.log" -w start >/dev/null; }
stop_server() { pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null; }
as_superuser() { psql -X -v ON_ERROR_STOP=1 -q -At --username "$POSTGRES_USER" "$@"; }
# Over TCP with a password, as a client in another container connects: prints the answer or the error.
as_role() { # ROLE PASSWORD DATABASE SQL
  PGPASSWORD=$2 psql -X -v ON_ERROR_STOP=1 -q -At -h 127.0.0.1 -U "$1" -d "$3" -c "$4" 2>&1 || true
}
expect_answer() { # WHAT EXPECTED ACTUAL
  [[ "$3" == "$2" ]] || fail "$1: expected '$2', got '$3'"
  echo "ok: $1"
}
expect_refusal() { # WHAT PATTERN ACTUAL
  grep -q -- "$2" <<<"$3" || fail "$1: expected an error matching '$2', got '$3'"
  echo "ok: $1 (refused: $(grep -o -- "$2" <<<"$3" | head -n1))"
}

# ---- 1. a cluster from before: the superuser owns everything ------------------------------------------
deploy_passwords 0
new_cluster kept
socket_server
as_superuser -d postgres -c 'CREATE DATABASE airflow' -c 'CREATE DATABASE pipeline'
as_superuser -d pipeline <<'SQL'
CREATE TYPE run_state AS ENUM ('running', 'done');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE users (id uuid PRIMARY KEY, seq bigserial, email email, state run_state);
CREATE TABLE ingest_runs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE SEQUENCE free_standing;
CREATE VIEW recent AS SELECT id FROM users;
CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';
INSERT INTO users (id, email, state) VALUES ('00000000-0000-0000-0000-000000000001', 'a@b', 'done');
SQL
as_superuser -d airflow -c 'CREATE TABLE dag (dag_id text PRIMARY KEY)' -c "INSERT INTO dag VALUES ('randomuser_pipeline')"
stop_server

deploy_passwords 1
bash "$START" --reconcile >"$work/start.log" 2>&1 || fail "postgres-start.sh --reconcile: $(cat "$work/start.log")"
grep -q 'applied, with the deployed passwords' "$work/start.log" || fail "no confirmation in the start script's log: $(cat "$work/start.log")"
tcp_server
expect_answer 'roles: LOGIN, not superuser, no CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS' \
  "airflow|t|f|f|f|f|f monitoring|t|f|f|f|f|f pipeline|t|f|f|f|f|f" \
  "$(as_superuser -d postgres -c "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname IN ('airflow', 'pipeline', 'monitoring') ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
expect_answer 'memberships: monitoring in pg_monitor alone, the others in none' 'monitoring|pg_monitor' \
  "$(as_superuser -d postgres -c "SELECT m.rolname, r.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles r ON r.oid = a.roleid WHERE m.rolname IN ('airflow', 'pipeline', 'monitoring')")"
expect_answer 'database owners' 'airflow|airflow pipeline|pipeline' \
  "$(as_superuser -d postgres -c "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname IN ('airflow', 'pipeline') ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
expect_answer 'every object of the kept pipeline database now the pipeline role'"'"'s' '' \
  "$(as_superuser -d pipeline -c "
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> 'pipeline'
    UNION ALL SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND pg_get_userbyid(t.typowner) <> 'pipeline'
    UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'pipeline'")"
expect_answer "the pipeline role reads and writes its kept tables" '2|42' \
  "$(as_role pipeline Pipeline1x9 pipeline "INSERT INTO users (id, email, state) VALUES (gen_random_uuid(), 'c@d', 'running'); SELECT count(*) || '|' || answer() FROM users")"
expect_answer "the pipeline role can alter its tables (the bootstrap adds columns)" '' \
  "$(as_role pipeline Pipeline1x9 pipeline 'ALTER TABLE users ADD COLUMN nickname text; ALTER TABLE ingest_runs ADD COLUMN note text')"
expect_answer "the airflow role reads its kept metadata" 'randomuser_pipeline' "$(as_role airflow Airflow1x9 airflow 'SELECT dag_id FROM dag')"
expect_answer "the airflow role can create tables in its database (migrations)" '' "$(as_role airflow Airflow1x9 airflow 'CREATE TABLE migrated (x int)')"
expect_refusal "the pipeline role connecting to Airflow's database" 'permission denied for database "airflow"' \
  "$(as_role pipeline Pipeline1x9 airflow 'SELECT 1')"
expect_refusal "the airflow role connecting to the pipeline's database (its users table)" 'permission denied for database "pipeline"' \
  "$(as_role airflow Airflow1x9 pipeline 'SELECT count(*) FROM users')"
expect_refusal "the monitoring role connecting to the pipeline's database" 'permission denied for database "pipeline"' \
  "$(as_role monitoring Monitoring1x9 pipeline 'SELECT count(*) FROM users')"
expect_refusal "the pipeline role creating a database" 'permission denied to create database' \
  "$(as_role pipeline Pipeline1x9 postgres 'CREATE DATABASE other')"
expect_refusal "the airflow role creating a role" 'permission denied to create role' \
  "$(as_role airflow Airflow1x9 airflow 'CREATE ROLE other')"
expect_answer "the monitoring role reads every database's size and every session" 't|t' \
  "$(as_role monitoring Monitoring1x9 postgres "SELECT pg_database_size('pipeline') > 0 AND pg_database_size('airflow') > 0, has_database_privilege('pipeline', 'CONNECT') = false")"
expect_refusal "a wrong password" 'password authentication failed for user "pipeline"' "$(as_role pipeline wrong pipeline 'SELECT 1')"
expect_refusal "the superuser's password from before" 'password authentication failed for user "platform"' "$(as_role platform Super0x9 postgres 'SELECT 1')"
expect_answer "the superuser's deployed password" '1' "$(as_role platform Super1x9 postgres 'SELECT 1')"
stop_server
# Neither the start script's output nor the server's log shows a password.
for password in "$POSTGRES_PASSWORD" "$KP_PG_AIRFLOW_PASSWORD" "$KP_PG_PIPELINE_PASSWORD" "$KP_PG_MONITORING_PASSWORD"; do
  if grep -q -- "$password" "$work/start.log" "$work/server.log"; then fail "a password is in the start script's output or the server's log"; fi
done
echo "ok: no password in the start script's output or the server's log"

# ---- 2. the next deploy: new passwords over the kept cluster ------------------------------------------
deploy_passwords 2
bash "$START" --reconcile >"$work/start.log" 2>&1 || fail "second --reconcile: $(cat "$work/start.log")"
tcp_server
for role in airflow pipeline monitoring; do
  database=$role; [[ $role == monitoring ]] && database=postgres
  Role=${role^}
  expect_answer "$role: the new deploy's password" '1' "$(as_role "$role" "${Role}2x9" "$database" 'SELECT 1')"
  expect_refusal "$role: the password of the deploy before" "password authentication failed for user \"$role\"" "$(as_role "$role" "${Role}1x9" "$database" 'SELECT 1')"
done
stop_server

# ---- 3. a new cluster, through the initdb.d hook ------------------------------------------------------
deploy_passwords 3
new_cluster fresh
socket_server
bash "$START" --apply-roles >"$work/start.log" 2>&1 || fail "--apply-roles: $(cat "$work/start.log")"
stop_server
tcp_server
expect_answer 'a new cluster: both databases, owned by their roles' 'airflow|airflow pipeline|pipeline' \
  "$(as_superuser -d postgres -c "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname IN ('airflow', 'pipeline') ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"
expect_answer 'a new cluster: the pipeline role creates its tables' '' "$(as_role pipeline Pipeline3x9 pipeline 'CREATE TABLE users (id uuid)')"
expect_refusal "a new cluster: the pipeline role connecting to Airflow's database" 'permission denied for database "airflow"' \
  "$(as_role pipeline Pipeline3x9 airflow 'SELECT 1')"
stop_server

# ---- 4. the container's whole start, through the image's entrypoint --------------------------------
flow=$work/flow
mkdir -p "$flow/initdb.d" "$flow/bin"
sed "s#/docker-entrypoint-initdb.d#$flow/initdb.d#g" "$work/docker-entrypoint.sh" >"$flow/bin/docker-entrypoint.sh"
chmod +x "$flow/bin/docker-entrypoint.sh"
# As the container gets it: not executable for postgres, so the entrypoint sources it.
sed "s#/opt/kafka-pipelining/postgres-start.sh#$START#" "$work/postgres-init-roles.sh" >"$flow/initdb.d/50-kafka-pipelining-roles.sh"
chmod 644 "$flow/initdb.d/50-kafka-pipelining-roles.sh"
start_container() { # LOG: the container's command, until the server answers on TCP
  PATH="$flow/bin:$PATH" PGDATA=$flow/data POSTGRES_DB=postgres \
    bash "$START" postgres -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$PGHOST" >"$flow/$1" 2>&1 &
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 && return
    sleep 1
  done
  fail "the container's start did not answer on TCP: $(tail -n 20 "$flow/$1")"
}
stop_container() { # SIGINT, as Docker stops it (STOPSIGNAL)
  local pid
  pid=$(head -n 1 "$flow/data/postmaster.pid")
  kill -INT "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}
deploy_passwords 4
start_container first.log
grep -q 'sourcing .*50-kafka-pipelining-roles.sh' "$flow/first.log" || fail "the entrypoint did not source the hook: $(cat "$flow/first.log")"
expect_answer "the container's first start: the pipeline role in its database" 'pipeline|pipeline' \
  "$(as_role pipeline Pipeline4x9 pipeline 'SELECT current_user, current_database()')"
expect_refusal "the container's first start: the pipeline role in Airflow's database" 'permission denied for database "airflow"' \
  "$(as_role pipeline Pipeline4x9 airflow 'SELECT 1')"
stop_container
deploy_passwords 5
start_container second.log
grep -q 'existing cluster' "$flow/second.log" || fail "the restart did not apply the roles: $(cat "$flow/second.log")"
expect_answer "the container's restart: the next deploy's password" '1' "$(as_role airflow Airflow5x9 airflow 'SELECT 1')"
expect_refusal "the container's restart: the first deploy's password" 'password authentication failed for user "airflow"' \
  "$(as_role airflow Airflow4x9 airflow 'SELECT 1')"
stop_container

# ---- 5. on a swarm: the passwords as files ----------------------------------------------------------
deploy_passwords 6
mkdir -p "$work/secrets"
for name in POSTGRES_PASSWORD KP_PG_AIRFLOW_PASSWORD KP_PG_PIPELINE_PASSWORD KP_PG_MONITORING_PASSWORD; do
  printf '%s\n' "${!name}" >"$work/secrets/$name"
  export "${name}_FILE=$work/secrets/$name"
  unset "$name"
done
start_container third.log
expect_answer "a start with the passwords as files: the pipeline role's new password" '1' "$(as_role pipeline Pipeline6x9 pipeline 'SELECT 1')"
expect_answer "a start with the passwords as files: the superuser's new password" '1' "$(as_role platform Super6x9 postgres 'SELECT 1')"
expect_refusal "a start with the passwords as files: the deploy before's password" 'password authentication failed for user "airflow"' \
  "$(as_role airflow Airflow5x9 airflow 'SELECT 1')"
stop_container
export KP_PG_PIPELINE_PASSWORD_FILE=$work/secrets/missing
if bash "$START" --reconcile >"$flow/unreadable.log" 2>&1; then fail "a start whose password file cannot be read must fail"; fi
expect_answer "a password file that cannot be read: the error names the variable and the file" \
  "postgres-start.sh: KP_PG_PIPELINE_PASSWORD_FILE names $work/secrets/missing, which cannot be read" "$(cat "$flow/unreadable.log")"
if grep -q -E '[0-9]x9' "$flow/first.log" "$flow/second.log" "$flow/third.log"; then fail "a password is in the container's output"; fi
echo "ok: no password in the container's output"
echo "postgres roles check passed"
