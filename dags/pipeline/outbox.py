"""Publishes the PostgreSQL outbox (rows with published_at null) to Kafka.

A row is marked published only once the broker acknowledged it, so a crash anywhere leaves it
to the next run: delivery is at least once, and the consumers' writes are upserts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote

import fastavro
import requests
from confluent_kafka import KafkaException, Producer
from pipeline_contract import USER_FIELDS

from pipeline.transform import dlq_payload, encode_confluent, user_id_of

log = logging.getLogger(__name__)

# Rows taken per transaction: bounds how long row locks are held while waiting for the broker.
BATCH_SIZE = 500
# librdkafka gives up on a message after MESSAGE_TIMEOUT_MS and reports it as failed; keeping
# that under the flush timeout means every message gets a definite report before we decide.
MESSAGE_TIMEOUT_MS = 45_000
FLUSH_TIMEOUT_SECONDS = 60.0

# SKIP LOCKED: an overlapping run (a manual trigger, a retry racing a slow attempt) takes other
# rows instead of waiting for, then re-sending, the ones this run holds.
_SELECT_USERS = f"""
    SELECT id::text, {", ".join(USER_FIELDS[1:])}
    FROM users
    WHERE published_at IS NULL
    ORDER BY fetched_at, id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
"""
_MARK_USERS = "UPDATE users SET published_at = now() WHERE id = ANY(%s::uuid[])"

_SELECT_REJECTIONS = """
    SELECT record_hash, reason, field, raw
    FROM rejected_records
    WHERE published_at IS NULL
    ORDER BY rejected_at, record_hash
    LIMIT %s
    FOR UPDATE SKIP LOCKED
"""
_MARK_REJECTIONS = "UPDATE rejected_records SET published_at = now() WHERE record_hash = ANY(%s)"


class PublishError(RuntimeError):
    """Some outbox rows were not acknowledged by the broker; they stay unpublished."""


class RegistryError(RuntimeError):
    """The Schema Registry did not give a usable latest schema for the subject."""


@dataclass(frozen=True)
class Message:
    ref: str  # the row's identity in its table, used to mark it published
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Delivery:
    delivered: list[str]
    failed: list[tuple[str, str]]  # (ref, error)


def make_producer(bootstrap_servers: str) -> Producer:
    # Idempotence keeps the broker from writing a message twice when librdkafka retries a send.
    return Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "message.timeout.ms": MESSAGE_TIMEOUT_MS,
            "client.id": "randomuser_pipeline",
        }
    )


def fetch_latest_schema(registry_url: str, subject: str, timeout_seconds: float) -> tuple[int, Any]:
    """The latest schema id and parsed Avro schema registered under subject."""
    url = f"{registry_url.rstrip('/')}/subjects/{quote(subject, safe='')}/versions/latest"
    # The URL may carry credentials, so errors name the subject, never the URL.
    try:
        response = requests.get(url, timeout=timeout_seconds)
    except requests.RequestException as error:
        raise RegistryError(
            f"schema registry unreachable for subject {subject!r}: {type(error).__name__}"
        ) from None
    if response.status_code != 200:
        raise RegistryError(f"schema registry answered HTTP {response.status_code} for subject {subject!r}")
    try:
        body = response.json()
        schema_id = int(body["id"])
        schema = fastavro.parse_schema(json.loads(body["schema"]))
    except (ValueError, KeyError, TypeError, fastavro.schema.SchemaParseException) as error:
        raise RegistryError(
            f"schema registry gave no usable Avro schema for subject {subject!r}: {error}"
        ) from None
    return schema_id, schema


def user_message(row: Sequence[Any], schema_id: int, parsed_schema: Any) -> Message:
    """A users row, selected in USER_FIELDS order, as a Confluent-framed Avro message keyed by id."""
    user = dict(zip(USER_FIELDS, row, strict=True))
    return Message(
        ref=user["id"],
        key=user["id"].encode("utf-8"),
        value=encode_confluent(user, schema_id, parsed_schema),
    )


def rejection_message(row: Sequence[Any]) -> Message:
    """A rejected_records row as the ingest-stage dead-letter message."""
    record_hash, reason, field, raw = row
    user_id = user_id_of(raw)
    return Message(
        ref=record_hash,
        key=user_id.encode("utf-8") if user_id else None,
        value=dlq_payload("ingest", reason, field, raw),
    )


def deliver(
    producer, topic: str, messages: Sequence[Message], flush_timeout: float = FLUSH_TIMEOUT_SECONDS
) -> Delivery:
    """Send messages and wait for each one's delivery report."""
    reports: dict[str, str | None] = {}

    def on_delivery(ref: str) -> Callable[[Any, Any], None]:
        def record(error, _msg) -> None:
            reports[ref] = None if error is None else str(error)

        return record

    for message in messages:
        try:
            producer.produce(
                topic, key=message.key, value=message.value, on_delivery=on_delivery(message.ref)
            )
        except (BufferError, KafkaException) as error:
            reports[message.ref] = f"not queued: {error}"
        # Serves earlier messages' delivery reports, which frees room in the local queue.
        producer.poll(0)
    producer.flush(flush_timeout)

    delivered, failed = [], []
    for message in messages:
        if message.ref not in reports:
            failed.append((message.ref, "no delivery report before the flush timeout"))
        elif reports[message.ref] is None:
            delivered.append(message.ref)
        else:
            failed.append((message.ref, reports[message.ref]))
    return Delivery(delivered, failed)


def drain(
    conn,
    producer,
    topic: str,
    select_sql: str,
    mark_sql: str,
    to_message: Callable[[Sequence[Any]], Message],
    batch_size: int = BATCH_SIZE,
    hold_seconds: float = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Publish one outbox table batch by batch; stop at the first batch with a failed delivery.

    hold_seconds is a test hook (the DAG's outbox_hold_seconds param, 0 otherwise): the wait between
    the broker's acknowledgement of a batch and its marking, widened so that a fault test can strike
    where acknowledged rows are not yet marked.
    """
    delivered: list[str] = []
    while True:
        with conn, conn.cursor() as cur:
            cur.execute(select_sql, (batch_size,))
            rows = cur.fetchall()
            outcome = deliver(producer, topic, [to_message(row) for row in rows])
            if outcome.delivered:
                if hold_seconds > 0:
                    log.info(
                        "holding %d acknowledged messages to %s for %s s before marking them (test hook)",
                        len(outcome.delivered),
                        topic,
                        hold_seconds,
                    )
                    sleep(hold_seconds)
                cur.execute(mark_sql, (outcome.delivered,))
        delivered.extend(outcome.delivered)
        # Failed rows are unpublished and unlocked again: looping would just re-send them now,
        # so leave them to the task retry's backoff instead.
        if outcome.failed or len(rows) < batch_size:
            return Delivery(delivered, outcome.failed)


def publish_outbox(
    conn,
    producer,
    topic: str,
    dlq_topic: str,
    schema_id: int,
    parsed_schema: Any,
    hold_seconds: float = 0,
) -> tuple[int, int]:
    """Publish unpublished users, then rejections; raise PublishError if any delivery failed.

    Both tables are attempted even if the first fails, so a broken DLQ topic does not hold up
    the users (or the reverse). Returns (users published, rejections published). hold_seconds:
    the test hook of drain().
    """
    to_user_message = partial(user_message, schema_id=schema_id, parsed_schema=parsed_schema)
    users = drain(
        conn, producer, topic, _SELECT_USERS, _MARK_USERS, to_user_message, hold_seconds=hold_seconds
    )
    rejections = drain(
        conn,
        producer,
        dlq_topic,
        _SELECT_REJECTIONS,
        _MARK_REJECTIONS,
        rejection_message,
        hold_seconds=hold_seconds,
    )
    failures = [(topic, ref, error) for ref, error in users.failed]
    failures += [(dlq_topic, ref, error) for ref, error in rejections.failed]
    if failures:
        shown = "; ".join(f"{t} {ref}: {error}" for t, ref, error in failures[:5])
        raise PublishError(
            f"{len(failures)} message(s) not acknowledged (published {len(users.delivered)} users, "
            f"{len(rejections.delivered)} rejections before that): {shown}"
        )
    return len(users.delivered), len(rejections.delivered)
