"""The DAG's settings, read from the environment variables declared in jobs/contract/variables.json."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline_contract import ConfigError, http_url, integer, text

# randomuser.me answers at most 5000 results per request.
MAX_BATCH_SIZE = 5000
# A field must hold a UUID (36 characters); at 20,000 characters, 12 fields of up to 4 UTF-8 bytes each
# still make a record under the producer's 1,000,000-byte message limit.
FIELD_LENGTH_RANGE = (36, 20_000)


@dataclass(frozen=True)
class PipelineConfig:
    source_url: str
    batch_size: int
    schedule: str | None  # None: manual runs only
    http_timeout_seconds: float
    http_retries: int
    retry_delay_seconds: int
    # repr=False: the DSN carries the database password and must never reach a log line.
    pg_dsn: str = field(repr=False)
    kafka_bootstrap_servers: str
    schema_registry_url: str
    topic: str
    dlq_topic: str
    max_field_length: int


def load_config(env: Mapping[str, str] = os.environ) -> PipelineConfig:
    return PipelineConfig(
        source_url=http_url(env, "PIPELINE_SOURCE_URL"),
        batch_size=integer(env, "PIPELINE_BATCH_SIZE", minimum=1, maximum=MAX_BATCH_SIZE),
        schedule=_schedule(env, "PIPELINE_SCHEDULE"),
        http_timeout_seconds=_positive_float(env, "PIPELINE_HTTP_TIMEOUT_SECONDS"),
        http_retries=integer(env, "PIPELINE_HTTP_RETRIES", minimum=0),
        retry_delay_seconds=integer(env, "PIPELINE_RETRY_DELAY_SECONDS", minimum=1, maximum=3600),
        pg_dsn=text(env, "PIPELINE_PG_DSN"),
        kafka_bootstrap_servers=text(env, "PIPELINE_KAFKA_BOOTSTRAP_SERVERS"),
        schema_registry_url=http_url(env, "PIPELINE_SCHEMA_REGISTRY_URL"),
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
