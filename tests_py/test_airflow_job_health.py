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


def connect(monkeypatch, answers):
    """A fake database answering each statement with the next count; returns it and the DSNs opened."""
    counts = iter(answers)
    connection = FakeConnection(on_execute=lambda sql, params: [(next(counts),)])
    opened = []
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", DSN)
    monkeypatch.setattr(job_health.psycopg2, "connect", lambda dsn, **kw: opened.append(dsn) or connection)
    return connection, opened


@pytest.mark.parametrize("count, healthy", [(1, True), (0, False)])
def test_healthy_exactly_when_this_hosts_running_job_heartbeated_recently(monkeypatch, count, healthy):
    connection, opened = connect(monkeypatch, [count])

    assert job_health.healthy("DagProcessorJob", 30) is healthy
    # libpq's form of Airflow's DSN; the job's type, this host (as Airflow names it) and the age asked.
    assert opened == ["postgresql://airflow:secret@postgres:5432/airflow"]
    ((sql, params),) = connection.statements
    assert "state = 'running'" in sql
    assert "latest_heartbeat >" in sql
    assert params == ("DagProcessorJob", socket.getfqdn(), 30)


@pytest.mark.parametrize(
    "answers, healthy, statements",
    [([1, 1], True, 2), ([1, 0], False, 2), ([0], False, 1)],
)
def test_parsed_also_asks_for_a_serialized_dag_or_an_import_error(monkeypatch, answers, healthy, statements):
    connection, _ = connect(monkeypatch, answers)

    assert job_health.healthy("DagProcessorJob", 30, parsed=True) is healthy
    assert len(connection.statements) == statements
    if statements == 2:
        (sql, _params) = connection.statements[1]
        assert "FROM serialized_dag" in sql
        assert "FROM import_error" in sql


def test_reads_the_dsn_from_its_command_where_a_swarm_gives_it_as_a_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    secret.write_text(DSN + "\n")
    _, opened = connect(monkeypatch, [1])
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD", f"cat {secret}")

    assert job_health.healthy("DagProcessorJob", 30) is True
    assert opened == ["postgresql://airflow:secret@postgres:5432/airflow"]
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD")
    with pytest.raises(SystemExit, match="neither AIRFLOW__DATABASE__SQL_ALCHEMY_CONN nor"):
        job_health.healthy("DagProcessorJob", 30)
