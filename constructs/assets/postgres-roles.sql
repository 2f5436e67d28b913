-- The platform's roles, databases and passwords, applied by the superuser over the local socket at every
-- start of PostgreSQL (postgres-start.sh), on a new cluster and on one kept from an earlier deploy alike:
--
--   psql --no-psqlrc --username "$POSTGRES_USER" --dbname postgres -f postgres-roles.sql
--
-- Idempotent: what is missing is created, the rest is set to what the deploy says (attributes, passwords,
-- owners, the right to connect). Names and passwords come from the environment with \getenv, so no
-- password is ever on a command line; the names are validated by the construct (constructs/postgres.ts).
\set ON_ERROR_STOP on
\set VERBOSITY terse
-- A failing statement is not echoed into the server's log, with a password in it.
SET log_min_error_statement = panic;

\getenv superuser POSTGRES_USER
\getenv superuser_password POSTGRES_PASSWORD
\getenv airflow_role KP_PG_AIRFLOW_ROLE
\getenv airflow_database KP_PG_AIRFLOW_DATABASE
\getenv airflow_password KP_PG_AIRFLOW_PASSWORD
\getenv pipeline_role KP_PG_PIPELINE_ROLE
\getenv pipeline_database KP_PG_PIPELINE_DATABASE
\getenv pipeline_password KP_PG_PIPELINE_PASSWORD
\getenv monitoring_role KP_PG_MONITORING_ROLE
\getenv monitoring_password KP_PG_MONITORING_PASSWORD

-- The superuser's password is the deployed one; no client is given it.
ALTER ROLE :"superuser" WITH PASSWORD :'superuser_password';

-- One role per purpose, none able to do more than its purpose, whatever an earlier deploy left.
SELECT format('CREATE ROLE %I', name)
  FROM unnest(ARRAY[:'airflow_role', :'pipeline_role', :'monitoring_role']) AS name
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
ALTER ROLE :"airflow_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'airflow_password';
ALTER ROLE :"pipeline_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pipeline_password';
ALTER ROLE :"monitoring_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'monitoring_password';
-- The exporter reads every database's statistics and sizes, and nothing of their data.
GRANT pg_monitor TO :"monitoring_role";

-- Each database exists, belongs to its role, and no other role may connect to it (PostgreSQL lets
-- every role connect to every database unless revoked). The monitoring connects to `postgres`.
SELECT format('CREATE DATABASE %I OWNER %I', db, owner)
  FROM (VALUES (:'airflow_database', :'airflow_role'), (:'pipeline_database', :'pipeline_role')) AS wanted (db, owner)
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = db) \gexec
ALTER DATABASE :"airflow_database" OWNER TO :"airflow_role";
ALTER DATABASE :"pipeline_database" OWNER TO :"pipeline_role";
REVOKE ALL ON DATABASE :"airflow_database" FROM PUBLIC;
REVOKE ALL ON DATABASE :"pipeline_database" FROM PUBLIC;

-- Objects a deploy from before the roles per purpose made as the superuser go to the database's owner.
\connect :"airflow_database"
SET log_min_error_statement = panic;
SET kp.owner = :'airflow_role';
\ir postgres-adopt-objects.sql
\connect :"pipeline_database"
SET log_min_error_statement = panic;
SET kp.owner = :'pipeline_role';
\ir postgres-adopt-objects.sql
