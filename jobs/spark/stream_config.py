"""The streaming job's settings, from the environment variables declared in jobs/contract/variables.json."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline_contract import ConfigError, basic_auth_username, http_url, integer, text

# The Spark job's Kafka login, from its properties file (spark-submit --properties-file), not the environment.
KAFKA_USERNAME_CONF = "spark.pipeline.kafka.username"
KAFKA_PASSWORD_CONF = "spark.pipeline.kafka.password"
_KAFKA_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_KAFKA_PASSWORD = re.compile(r"[A-Za-z0-9._~-]{8,}")
# The levels a read and a write both accept (jobs/lib/consistency.ts lists the same for the TypeScript jobs).
CASSANDRA_CONSISTENCY_LEVELS = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_ONE", "LOCAL_QUORUM")


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
    trigger_milliseconds: int
    max_offsets_per_trigger: int
    starting_offsets: str
    cassandra_concurrent_writes: int
    cassandra_consistency: str

    @property
    def value_subject(self) -> str:
        # TopicNameStrategy, as the bootstrap job registers it.
        return f"{self.topic}-value"

    def cassandra_spark_conf(self) -> dict[str, str]:
        """Connector settings: each contact point keeps its own port, the first one's is the default.

        Every user is its own partition, so the connector's batches hold one row each and a write
        task's throughput is its number of writes in flight (the connector's default of 5 is low;
        `npm run bench` found the job CPU-bound, not write-bound, from 64 on). Writes and reads (the
        table's columns) at the pipeline's consistency level, not the connector's own defaults
        (LOCAL_QUORUM writes, LOCAL_ONE reads).
        """
        hosts = ",".join(f"{host}:{port}" for host, port in self.cassandra_contact_points)
        return {
            "spark.cassandra.connection.host": hosts,
            "spark.cassandra.connection.port": str(self.cassandra_contact_points[0][1]),
            "spark.cassandra.output.concurrent.writes": str(self.cassandra_concurrent_writes),
            "spark.cassandra.output.consistency.level": self.cassandra_consistency,
            "spark.cassandra.input.consistency.level": self.cassandra_consistency,
        }


# The registry login's keys in the driver's properties file (constructs/spark-streaming-job.ts writes them
# there, not in the environment, so `docker inspect` does not show it; Spark redacts "password" keys).
REGISTRY_USERNAME_KEY = "spark.pipeline.schemaRegistry.username"
REGISTRY_PASSWORD_KEY = "spark.pipeline.schemaRegistry.password"


def registry_login(conf: Mapping[str, str]) -> tuple[str, str]:
    """The registry user and password from the driver's Spark configuration; the error names the key."""
    login = []
    for key in (REGISTRY_USERNAME_KEY, REGISTRY_PASSWORD_KEY):
        value = conf.get(key, "").strip()
        if not value:
            raise ConfigError(f"{key} is required in the job's properties file (--properties-file)")
        login.append(value)
    username, password = login
    return basic_auth_username(username, REGISTRY_USERNAME_KEY), password


def load_stream_config(env: Mapping[str, str] = os.environ) -> StreamConfig:
    return StreamConfig(
        kafka_bootstrap_servers=text(env, "PIPELINE_KAFKA_BOOTSTRAP_SERVERS"),
        schema_registry_url=http_url(env, "PIPELINE_SCHEMA_REGISTRY_URL"),
        topic=text(env, "PIPELINE_TOPIC"),
        dlq_topic=text(env, "PIPELINE_DLQ_TOPIC"),
        cassandra_contact_points=_contact_points(env, "PIPELINE_CASSANDRA_CONTACT_POINTS"),
        cassandra_keyspace=text(env, "PIPELINE_CASSANDRA_KEYSPACE"),
        cassandra_table=text(env, "PIPELINE_CASSANDRA_TABLE"),
        checkpoint_dir=text(env, "PIPELINE_CHECKPOINT_DIR"),
        trigger_milliseconds=_tenths_of_seconds_in_ms(env, "PIPELINE_TRIGGER_SECONDS"),
        max_offsets_per_trigger=integer(env, "PIPELINE_MAX_OFFSETS_PER_TRIGGER", minimum=1),
        starting_offsets=_starting_offsets(env, "PIPELINE_STARTING_OFFSETS"),
        cassandra_concurrent_writes=integer(env, "PIPELINE_CASSANDRA_CONCURRENT_WRITES", minimum=1),
        cassandra_consistency=_consistency(env, "PIPELINE_CASSANDRA_CONSISTENCY"),
    )


def _tenths_of_seconds_in_ms(env: Mapping[str, str], name: str) -> int:
    raw = text(env, name)
    if not re.fullmatch(r"\d+(\.\d)?", raw) or float(raw) < 0.1:
        raise ConfigError(f"{name} must be seconds in tenths from 0.1 (such as 0.5 or 2), got {raw!r}")
    return round(float(raw) * 1000)


def _contact_points(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    raw = text(env, name)
    points = []
    for entry in raw.split(","):
        host, sep, port = entry.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{name} must be host:port[,host:port], got {raw!r}")
        points.append((host, int(port)))
    return tuple(points)


def _consistency(env: Mapping[str, str], name: str) -> str:
    value = text(env, name)
    if value not in CASSANDRA_CONSISTENCY_LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(CASSANDRA_CONSISTENCY_LEVELS)}, got {value!r}")
    return value


def _starting_offsets(env: Mapping[str, str], name: str) -> str:
    """Spark's startingOffsets: earliest, latest, or a JSON object of per-partition offsets."""
    value = text(env, name)
    if value in ("earliest", "latest"):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{name} must be earliest, latest or a JSON object of offsets, got {value!r}")
    return value


def kafka_login_options(conf: Mapping[str, str]) -> dict[str, str]:
    """The Kafka source's and sink's options that log in as the job's user (SASL/SCRAM-SHA-512).

    `conf` is the job's Spark configuration; the password is never part of an error message.
    """
    username, password = conf.get(KAFKA_USERNAME_CONF, ""), conf.get(KAFKA_PASSWORD_CONF, "")
    if not _KAFKA_USERNAME.fullmatch(username):
        raise ConfigError(
            f"{KAFKA_USERNAME_CONF} must be a Kafka user name (a letter, then letters, digits, _ or -), "
            f"got {username!r}"
        )
    if not _KAFKA_PASSWORD.fullmatch(password):
        raise ConfigError(
            f"{KAFKA_PASSWORD_CONF} must be set: 8 or more of letters, digits and ._~- (not shown)"
        )
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{username}" password="{password}";'
    )
    return {
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": jaas,
    }
