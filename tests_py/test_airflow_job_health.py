import importlib.util
import socket

import pytest
from conftest import REPO
from fakes import FakeConnection

spec = importlib.util.spec_from_file_location(
    "airflow_job_health", REPO / "constructs" / "assets" / "airflow_job_health.py"
)
job_health = importlib.util.module_from_spec(spec)
spec.loader.exec_module(job_health)

DSN = "postgresql+psycopg2://airflow:secret@postgres:5432/airflow"


@pytest.mark.parametrize("count, healthy", [(1, True), (0, False)])
def test_healthy_exactly_when_this_hosts_running_job_heartbeated_recently(monkeypatch, count, healthy):
    connection = FakeConnection(on_execute=lambda sql, params: [(count,)])
    opened = []
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", DSN)
    monkeypatch.setattr(job_health.psycopg2, "connect", lambda dsn, **kw: opened.append(dsn) or connection)

    assert job_health.alive("DagProcessorJob", 30) is healthy
    # libpq's form of Airflow's DSN; the job's type, this host (as Airflow names it) and the age asked.
    assert opened == ["postgresql://airflow:secret@postgres:5432/airflow"]
    ((sql, params),) = connection.statements
    assert "state = 'running'" in sql
    assert "latest_heartbeat >" in sql
    assert params == ("DagProcessorJob", socket.getfqdn(), 30)
