"""Publishes the PostgreSQL outbox (rows with published_at null) to Kafka.

A row is marked published only once the broker acknowledged it, so a crash anywhere leaves it
to the next run: delivery is at least once, and the consumers' writes are upserts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import fastavro
from confluent_kafka import KafkaException, Producer
from pipeline_contract import UserSchema

from pipeline.transform import dlq_payload, encode_confluent, user_id_of

log = logging.getLogger(__name__)

# Rows taken per transaction: bounds how long row locks are held while waiting for the broker.
BATCH_SIZE = 500
# librdkafka gives up on a message after MESSAGE_TIMEOUT_MS and reports it as failed; keeping
# that under the flush timeout means every message gets a definite report before we decide.
MESSAGE_TIMEOUT_MS = 45_000
FLUSH_TIMEOUT_SECONDS = 60.0


def _select_users_sql(columns: Sequence[str]) -> str:
    """The unpublished users' columns (the registered schema's fields, id first as text).

    SKIP LOCKED: an overlapping run (a manual trigger, a retry racing a slow attempt) takes other
    rows instead of waiting for, then re-sending, the ones this run holds.
    """
    selected = ", ".join("id::text" if name == "id" else name for name in columns)
    return f"""
        SELECT {selected}
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


def user_message(row: Sequence[Any], schema: UserSchema, parsed_schema: Any) -> Message:
    """A users row, selected in the schema's field order, as a Confluent-framed Avro message keyed by id."""
    user = dict(zip(schema.names, row, strict=True))
    return Message(
        ref=user["id"],
        key=user["id"].encode("utf-8"),
        value=encode_confluent(user, schema.schema_id, parsed_schema),
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
) -> Delivery:
    """Publish one outbox table batch by batch; stop at the first batch with a failed delivery."""
    delivered: list[str] = []
    while True:
        with conn, conn.cursor() as cur:
            cur.execute(select_sql, (batch_size,))
            rows = cur.fetchall()
            outcome = deliver(producer, topic, [to_message(row) for row in rows])
            if outcome.delivered:
                cur.execute(mark_sql, (outcome.delivered,))
        delivered.extend(outcome.delivered)
        # Failed rows are unpublished and unlocked again: looping would just re-send them now,
        # so leave them to the task retry's backoff instead.
        if outcome.failed or len(rows) < batch_size:
            return Delivery(delivered, outcome.failed)


def publish_outbox(conn, producer, topic: str, dlq_topic: str, schema: UserSchema) -> tuple[int, int]:
    """Publish unpublished users with the registered schema, then rejections; raise PublishError if
    any delivery failed.

    Both tables are attempted even if the first fails, so a broken DLQ topic does not hold up
    the users (or the reverse). Returns (users published, rejections published).
    """
    parsed_schema = fastavro.parse_schema(json.loads(schema.text))
    to_user_message = partial(user_message, schema=schema, parsed_schema=parsed_schema)
    select_users = _select_users_sql(schema.names)
    users = drain(conn, producer, topic, select_users, _MARK_USERS, to_user_message)
    rejections = drain(conn, producer, dlq_topic, _SELECT_REJECTIONS, _MARK_REJECTIONS, rejection_message)
    failures = [(topic, ref, error) for ref, error in users.failed]
    failures += [(dlq_topic, ref, error) for ref, error in rejections.failed]
    if failures:
        shown = "; ".join(f"{t} {ref}: {error}" for t, ref, error in failures[:5])
        raise PublishError(
            f"{len(failures)} message(s) not acknowledged (published {len(users.delivered)} users, "
            f"{len(rejections.delivered)} rejections before that): {shown}"
        )
    return len(users.delivered), len(rejections.delivered)
