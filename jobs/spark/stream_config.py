"""The streaming job's settings, read from the environment variables named in docs/pipeline.md."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A pipeline environment variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class StreamConfig:
    kafka_bootstrap_servers: str
    schema_registry_url: str
    topic: str
    dlq_topic: str
    cassandra_contact_points: tuple[tuple[str, int], ...]
    cassandra_keyspace: str
    cassandra_table: str
    checkpoint_dir: str
    trigger_seconds: int
    max_offsets_per_trigger: int
    starting_offsets: str
    cassandra_concurrent_writes: int

    @property
    def value_subject(self) -> str:
        # TopicNameStrategy, as the bootstrap job registers it.
        return f"{self.topic}-value"

    def cassandra_spark_conf(self) -> dict[str, str]:
        """Connector settings: each contact point keeps its own port, the first one's is the default.

        Every user is its own partition, so the connector's batches hold one row each and a write
        task's throughput is its number of writes in flight (the connector's default of 5 is low;
        `npm run bench` found the job CPU-bound, not write-bound, from 64 on).
        """
        hosts = ",".join(f"{host}:{port}" for host, port in self.cassandra_contact_points)
        return {
            "spark.cassandra.connection.host": hosts,
            "spark.cassandra.connection.port": str(self.cassandra_contact_points[0][1]),
            "spark.cassandra.output.concurrent.writes": str(self.cassandra_concurrent_writes),
        }


def load_stream_config(env: Mapping[str, str] = os.environ) -> StreamConfig:
    return StreamConfig(
        kafka_bootstrap_servers=_text(env, "PIPELINE_KAFKA_BOOTSTRAP_SERVERS"),
        schema_registry_url=_http_url(env, "PIPELINE_SCHEMA_REGISTRY_URL"),
        topic=_text(env, "PIPELINE_TOPIC", "users_created"),
        dlq_topic=_text(env, "PIPELINE_DLQ_TOPIC", "users_created.dlq"),
        cassandra_contact_points=_contact_points(env, "PIPELINE_CASSANDRA_CONTACT_POINTS"),
        cassandra_keyspace=_text(env, "PIPELINE_CASSANDRA_KEYSPACE", "spark_streams"),
        cassandra_table=_text(env, "PIPELINE_CASSANDRA_TABLE", "created_users"),
        checkpoint_dir=_text(env, "PIPELINE_CHECKPOINT_DIR", "/checkpoints/users_created"),
        trigger_seconds=_positive_int(env, "PIPELINE_TRIGGER_SECONDS", 1),
        max_offsets_per_trigger=_positive_int(env, "PIPELINE_MAX_OFFSETS_PER_TRIGGER", 50000),
        starting_offsets=_starting_offsets(env, "PIPELINE_STARTING_OFFSETS", "earliest"),
        cassandra_concurrent_writes=_positive_int(env, "PIPELINE_CASSANDRA_CONCURRENT_WRITES", 64),
    )


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"{name} is required but not set")
    return default


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _text(env, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be >= 1, got {value}")
    return value


def _http_url(env: Mapping[str, str], name: str) -> str:
    value = _text(env, name)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        # The value is not echoed: a registry URL may carry credentials.
        raise ConfigError(f"{name} must be an http(s) URL")
    return value


def _contact_points(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    raw = _text(env, name)
    points = []
    for entry in raw.split(","):
        host, sep, port = entry.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{name} must be host:port[,host:port], got {raw!r}")
        points.append((host, int(port)))
    return tuple(points)


def _starting_offsets(env: Mapping[str, str], name: str, default: str) -> str:
    """Spark's startingOffsets: earliest, latest, or a JSON object of per-partition offsets."""
    value = _text(env, name, default)
    if value in ("earliest", "latest"):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{name} must be earliest, latest or a JSON object of offsets, got {value!r}")
    return value
