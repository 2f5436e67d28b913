"""Health check of an Airflow component with no HTTP health endpoint (the dag-processor), run by Docker in
its container: its job row in the metadata database is running, on this host, with a recent heartbeat. That
is what `airflow jobs check --local` checks, without importing Airflow, which costs about 3 s of CPU per
check: at one check every 30 s, the largest load of an idle dag-processor.

With --parsed, also that the DAG folder has been parsed: some DAG serialized, or some file's import error
recorded. Then the deploy, which waits for this check, ends with the DAGs known to the API server and the
scheduler, and a run can be triggered at once, whatever the order the two started in.

Usage: python airflow_job_health.py JOB_TYPE MAX_HEARTBEAT_AGE_SECONDS [--parsed]
"""

import os
import socket
import subprocess
import sys

import psycopg2

ALIVE = """
SELECT count(*) FROM job
WHERE job_type = %s AND state = 'running' AND hostname = %s
  AND latest_heartbeat > now() - make_interval(secs => %s)
"""

PARSED = """
SELECT count(*) FROM (
  (SELECT 1 FROM serialized_dag LIMIT 1) UNION ALL (SELECT 1 FROM import_error LIMIT 1)
) AS parsed
"""


CONN = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"


def airflow_dsn() -> str:
    """The DSN Airflow itself uses: the variable, or the output of its _CMD form, as Airflow reads a setting
    (a swarm gives the secret as a file and the command that prints it)."""
    if CONN in os.environ:
        return os.environ[CONN]
    if f"{CONN}_CMD" in os.environ:
        command = os.environ[f"{CONN}_CMD"]
        return subprocess.run(command, shell=True, check=True, capture_output=True, text=True).stdout.strip()
    raise SystemExit(f"neither {CONN} nor {CONN}_CMD is set")


def healthy(job_type: str, max_age_seconds: float, parsed: bool = False) -> bool:
    # In the form libpq reads (SQLAlchemy names the driver in the scheme).
    dsn = airflow_dsn().replace("postgresql+psycopg2://", "postgresql://", 1)
    with psycopg2.connect(dsn, connect_timeout=5) as connection, connection.cursor() as cursor:
        # Airflow records a job's host as socket.getfqdn() (its default hostname_callable).
        cursor.execute(ALIVE, (job_type, socket.getfqdn(), max_age_seconds))
        (alive,) = cursor.fetchone()
        if alive == 0 or not parsed:
            return alive > 0
        cursor.execute(PARSED)
        (found,) = cursor.fetchone()
    return found > 0


if __name__ == "__main__":
    sys.exit(0 if healthy(sys.argv[1], float(sys.argv[2]), "--parsed" in sys.argv[3:]) else 1)
