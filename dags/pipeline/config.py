"""The DAG's settings, read from the environment variables declared in jobs/contract/variables.json.

Two sets, because two kinds of process read them: the DAG file's settings (`load_dag_config`) shape the DAG
and are read wherever the file is parsed, by the dag-processor and again by every task process; the tasks'
settings (`load_task_config`) are read only inside a running task. The constructs give the dag-processor
only the first set, so changing where the tasks fetch from or publish to leaves it running.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline_contract import ConfigError, basic_auth_username, http_url, integer, text, with_login

# randomuser.me answers at most 5000 results per request.
MAX_BATCH_SIZE = 5000
# A field must hold a UUID (36 characters); at 20,000 characters, 12 fields of up to 4 UTF-8 bytes each
# still make a record under the producer's 1,000,000-byte message limit.
FIELD_LENGTH_RANGE = (36, 20_000)


@dataclass(frozen=True)
class DagConfig:
    batch_size: int
    schedule: str | None  # None: manual runs only
    retry_delay_seconds: int


@dataclass(frozen=True)
class TaskConfig:
    source_url: str
    http_timeout_seconds: float
    http_retries: int
    # repr=False: the DSN carries the database password and must never reach a log line.
    pg_dsn: str = field(repr=False)
    kafka_bootstrap_servers: str
    # The producer's Kafka login (SASL/SCRAM-SHA-512); repr=False keeps the password out of logs.
    kafka_username: str
    kafka_password: str = field(repr=False)
    # With the registry login in it (the reader's): never in a log line either.
    schema_registry_url: str = field(repr=False)
    topic: str
    dlq_topic: str
    max_field_length: int


def load_dag_config(env: Mapping[str, str] = os.environ) -> DagConfig:
    return DagConfig(
        batch_size=integer(env, "PIPELINE_BATCH_SIZE", minimum=1, maximum=MAX_BATCH_SIZE),
        schedule=_schedule(env, "PIPELINE_SCHEDULE"),
        retry_delay_seconds=integer(env, "PIPELINE_RETRY_DELAY_SECONDS", minimum=1, maximum=3600),
    )


def load_task_config(env: Mapping[str, str] = os.environ) -> TaskConfig:
    return TaskConfig(
        source_url=http_url(env, "PIPELINE_SOURCE_URL"),
        http_timeout_seconds=_positive_float(env, "PIPELINE_HTTP_TIMEOUT_SECONDS"),
        http_retries=integer(env, "PIPELINE_HTTP_RETRIES", minimum=0),
        pg_dsn=text(env, "PIPELINE_PG_DSN"),
        kafka_bootstrap_servers=text(env, "PIPELINE_KAFKA_BOOTSTRAP_SERVERS"),
        kafka_username=text(env, "PIPELINE_KAFKA_USERNAME"),
        kafka_password=text(env, "PIPELINE_KAFKA_PASSWORD"),
        schema_registry_url=with_login(
            http_url(env, "PIPELINE_SCHEMA_REGISTRY_URL"),
            basic_auth_username(
                text(env, "PIPELINE_SCHEMA_REGISTRY_USERNAME"), "PIPELINE_SCHEMA_REGISTRY_USERNAME"
            ),
            text(env, "PIPELINE_SCHEMA_REGISTRY_PASSWORD"),
        ),
        topic=text(env, "PIPELINE_TOPIC"),
        dlq_topic=text(env, "PIPELINE_DLQ_TOPIC"),
        max_field_length=integer(env, "PIPELINE_MAX_FIELD_LENGTH", *FIELD_LENGTH_RANGE),
    )


def _schedule(env: Mapping[str, str], name: str) -> str | None:
    """A cron expression or preset; "none" means the DAG runs only when triggered."""
    value = text(env, name)
    return None if value.lower() == "none" else value


def _positive_float(env: Mapping[str, str], name: str) -> float:
    raw = text(env, name)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {raw!r}")
    return value
