"""The DAG's settings, read from the environment variables named in docs/pipeline.md."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

# randomuser.me answers at most 5000 results per request.
MAX_BATCH_SIZE = 5000


class ConfigError(ValueError):
    """A pipeline environment variable is missing or malformed; the message names it."""


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


def load_config(env: Mapping[str, str] = os.environ) -> PipelineConfig:
    return PipelineConfig(
        source_url=_http_url(env, "PIPELINE_SOURCE_URL", "https://randomuser.me/api/"),
        batch_size=_int(env, "PIPELINE_BATCH_SIZE", 100, minimum=1, maximum=MAX_BATCH_SIZE),
        schedule=_schedule(env, "PIPELINE_SCHEDULE", "@hourly"),
        http_timeout_seconds=_positive_float(env, "PIPELINE_HTTP_TIMEOUT_SECONDS", 10.0),
        http_retries=_int(env, "PIPELINE_HTTP_RETRIES", 5, minimum=0),
        retry_delay_seconds=_int(env, "PIPELINE_RETRY_DELAY_SECONDS", 30, minimum=1, maximum=3600),
        pg_dsn=_text(env, "PIPELINE_PG_DSN"),
        kafka_bootstrap_servers=_text(env, "PIPELINE_KAFKA_BOOTSTRAP_SERVERS"),
        schema_registry_url=_http_url(env, "PIPELINE_SCHEMA_REGISTRY_URL"),
        topic=_text(env, "PIPELINE_TOPIC", "users_created"),
        dlq_topic=_text(env, "PIPELINE_DLQ_TOPIC", "users_created.dlq"),
    )


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"{name} is required but not set")
    return default


def _schedule(env: Mapping[str, str], name: str, default: str) -> str | None:
    """A cron expression or preset; "none" means the DAG runs only when triggered."""
    value = _text(env, name, default)
    return None if value.lower() == "none" else value


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    minimum: int,
    maximum: int | None = None,
) -> int:
    raw = _text(env, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ConfigError(f"{name} must be >= {minimum}{upper}, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _text(env, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {raw!r}")
    return value


def _http_url(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = _text(env, name, default)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # The value is not echoed: a registry URL may carry credentials.
        raise ConfigError(f"{name} must be an http(s) URL")
    return value
