"""Publishes the PostgreSQL outbox (rows with published_at null) to Kafka.

A row is marked published only once the broker acknowledged it, so a crash anywhere leaves it
to the next run: delivery is at least once, and the consumers' writes are upserts.

A user row whose message the producer refuses (too large, or otherwise never queued) does not hold up
the others: its refusal is counted in the row, the rest of the outbox drains, and the next attempt (the
task's retry, or a later run) tries it again. After MAX_PUBLISH_ATTEMPTS refusals it goes to the
dead-letter topic with the producer's reason and leaves the outbox (dead_lettered_at).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import fastavro
from confluent_kafka import KafkaError, KafkaException, Producer
from pipeline_contract import UserSchema, dead_letter_value

from pipeline.transform import encode_confluent, user_id_of

log = logging.getLogger(__name__)

# Rows taken per transaction: bounds how long row locks are held while waiting for the broker.
BATCH_SIZE = 500
# librdkafka gives up on a message after MESSAGE_TIMEOUT_MS and reports it as failed; keeping
# that under the flush timeout means every message gets a definite report before we decide.
MESSAGE_TIMEOUT_MS = 45_000
FLUSH_TIMEOUT_SECONDS = 60.0
# Refusals of one user row before it goes to the dead-letter topic instead.
MAX_PUBLISH_ATTEMPTS = 3

# Delivery reports that refuse the message itself; any other error (a timeout, an unreachable
# broker) is about the broker, and the row is just sent again later, however often that takes.
_REFUSED_IN_REPORT = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.INVALID_MSG,
    }
)


def _select_users_sql(columns: Sequence[str]) -> str:
    """The unpublished users' columns (the registered schema's fields, id first as text), skipping the
    refs given as the first parameter (rows already refused in this run).

    SKIP LOCKED: an overlapping run (a manual trigger, a retry racing a slow attempt) takes other
    rows instead of waiting for, then re-sending, the ones this run holds.
    """
    selected = ", ".join("id::text" if name == "id" else name for name in columns)
    return f"""
        SELECT {selected}
        FROM users
        WHERE published_at IS NULL AND dead_lettered_at IS NULL AND NOT id = ANY(%s::uuid[])
        ORDER BY fetched_at, id
        LIMIT %s
        FOR UPDATE SKIP LOCKED
    """


_MARK_USERS = "UPDATE users SET published_at = now() WHERE id = ANY(%s::uuid[])"
_COUNT_REFUSALS = """
    UPDATE users SET publish_attempts = publish_attempts + 1, publish_error = refused.error
    FROM unnest(%s::uuid[], %s::text[]) AS refused(id, error)
    WHERE users.id = refused.id
    RETURNING users.id::text, users.publish_attempts
"""
_MARK_DEAD_LETTERED = "UPDATE users SET dead_lettered_at = now() WHERE id = ANY(%s::uuid[])"

_SELECT_REJECTIONS = """
    SELECT record_hash, reason, field, raw
    FROM rejected_records
    WHERE published_at IS NULL AND NOT record_hash = ANY(%s::text[])
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
    failed: list[tuple[str, str]]  # (ref, error): not acknowledged, for a reason not the message's own
    # (ref, error): the producer or the broker refused the message itself (too large, never queued)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Drained:
    delivered: list[str]
    failed: list[tuple[str, str]]
    waiting: list[tuple[str, str]] = field(default_factory=list)  # refused, short of MAX_PUBLISH_ATTEMPTS
    dead_lettered: list[str] = field(default_factory=list)


class Published(NamedTuple):
    users: int
    rejections: int
    dead_lettered: int  # users moved to the dead-letter topic after MAX_PUBLISH_ATTEMPTS refusals


# What the refusals of one batch came to: (dead-lettered refs, refused rows left waiting, failed deliveries).
RefusalOutcome = tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]
# Handles a batch's refusals (cursor, [(ref, error)], rows by ref) in the batch's transaction.
OnRefused = Callable[[Any, list[tuple[str, str]], Mapping[str, Sequence[Any]]], RefusalOutcome]


def make_producer(bootstrap_servers: str, username: str, password: str) -> Producer:
    # Idempotence keeps the broker from writing a message twice when librdkafka retries a send.
    # Every listener of the platform's broker takes SASL/SCRAM-SHA-512 logins, and the producer's user may
    # only write the users and dead-letter topics.
    return Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": username,
            "sasl.password": password,
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
    record_hash, reason, bad_field, raw = row
    user_id = user_id_of(raw)
    return Message(
        ref=record_hash,
        key=user_id.encode("utf-8") if user_id else None,
        value=dead_letter_value("ingest", reason, bad_field, raw),
    )


def refused_user_message(row: Sequence[Any], schema: UserSchema, attempts: int, error: str) -> Message:
    """A users row refused MAX_PUBLISH_ATTEMPTS times, as the outbox-stage dead-letter message."""
    user = dict(zip(schema.names, row, strict=True))
    reason = f"refused by the producer {attempts} times, the last time with: {error}"
    return Message(
        ref=user["id"], key=user["id"].encode("utf-8"), value=dead_letter_value("outbox", reason, None, user)
    )


def deliver(
    producer, topic: str, messages: Sequence[Message], flush_timeout: float = FLUSH_TIMEOUT_SECONDS
) -> Delivery:
    """Send messages and wait for each one's delivery report."""
    reports: dict[str, str | None] = {}
    refusals: dict[str, str] = {}

    def on_delivery(ref: str) -> Callable[[Any, Any], None]:
        def record(error, _msg) -> None:
            if error is not None and error.code() in _REFUSED_IN_REPORT:
                refusals[ref] = _describe(error)
            else:
                reports[ref] = None if error is None else _describe(error)

        return record

    for message in messages:
        try:
            producer.produce(
                topic, key=message.key, value=message.value, on_delivery=on_delivery(message.ref)
            )
        except KafkaException as error:
            # The producer refused this message (too large, say): it was never queued.
            refusals[message.ref] = f"not queued: {_describe(error.args[0])}"
        except BufferError as error:
            # The local queue is full: a matter of the broker's pace, not of this message.
            reports[message.ref] = f"not queued: {error}"
        # Serves earlier messages' delivery reports, which frees room in the local queue.
        producer.poll(0)
    producer.flush(flush_timeout)

    delivered, failed, refused = [], [], []
    for message in messages:
        if message.ref in refusals:
            refused.append((message.ref, refusals[message.ref]))
        elif message.ref not in reports:
            failed.append((message.ref, "no delivery report before the flush timeout"))
        elif reports[message.ref] is None:
            delivered.append(message.ref)
        else:
            failed.append((message.ref, reports[message.ref]))
    return Delivery(delivered, failed, refused)


def _describe(error: KafkaError) -> str:
    return f"{error.name()}: {error.str()}"


def drain(
    conn,
    producer,
    topic: str,
    select_sql: str,
    mark_sql: str,
    to_message: Callable[[Sequence[Any]], Message],
    on_refused: OnRefused | None = None,
    batch_size: int = BATCH_SIZE,
    hold_seconds: float = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> Drained:
    """Publish one outbox table batch by batch; stop at the first batch with a failed delivery.

    Refused rows go to on_refused, in their batch's transaction; those it leaves waiting are skipped for the
    rest of the drain, so a row that can never be sent does not stop the rows behind it. Without on_refused,
    a refusal is a failure like any other.

    hold_seconds is a test hook (the DAG's outbox_hold_seconds param, 0 otherwise): the wait between
    the broker's acknowledgement of a batch and its marking, widened so that a fault test can strike
    where acknowledged rows are not yet marked.
    """
    delivered: list[str] = []
    waiting: list[tuple[str, str]] = []
    dead_lettered: list[str] = []
    while True:
        with conn, conn.cursor() as cur:
            cur.execute(select_sql, ([ref for ref, _ in waiting], batch_size))
            rows = cur.fetchall()
            messages = [to_message(row) for row in rows]
            outcome = deliver(producer, topic, messages)
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
            failed = outcome.failed
            if outcome.refused and on_refused is None:
                failed = failed + outcome.refused
            elif outcome.refused:
                rows_by_ref = {message.ref: row for message, row in zip(messages, rows, strict=True)}
                moved, left, dead_letter_failed = on_refused(cur, outcome.refused, rows_by_ref)
                dead_lettered.extend(moved)
                waiting.extend(left)
                failed = failed + dead_letter_failed
        delivered.extend(outcome.delivered)
        # Failed rows are unpublished and unlocked again: looping would just re-send them now,
        # so leave them to the task retry's backoff instead.
        if failed or len(rows) < batch_size:
            return Drained(delivered, failed, waiting, dead_lettered)


def dead_letter_refused(
    cur,
    refused: list[tuple[str, str]],
    rows: Mapping[str, Sequence[Any]],
    schema: UserSchema,
    producer,
    dlq_topic: str,
) -> RefusalOutcome:
    """Count one more refusal for each refused row; dead-letter those refused MAX_PUBLISH_ATTEMPTS times."""
    cur.execute(_COUNT_REFUSALS, ([ref for ref, _ in refused], [error for _, error in refused]))
    attempts = dict(cur.fetchall())
    exhausted = [(ref, error) for ref, error in refused if attempts.get(ref, 0) >= MAX_PUBLISH_ATTEMPTS]
    letters = [refused_user_message(rows[ref], schema, attempts[ref], error) for ref, error in exhausted]
    outcome = deliver(producer, dlq_topic, letters)
    if outcome.delivered:
        cur.execute(_MARK_DEAD_LETTERED, (outcome.delivered,))
    # A row whose dead letter was not acknowledged stays in the outbox, to be refused and dead-lettered again.
    exhausted_refs = {ref for ref, _ in exhausted}
    left = [(ref, error) for ref, error in refused if ref not in exhausted_refs]
    unsent = outcome.failed + outcome.refused
    return (
        outcome.delivered,
        left,
        [(ref, f"its dead letter to {dlq_topic}: {error}") for ref, error in unsent],
    )


def publish_outbox(
    conn, producer, topic: str, dlq_topic: str, schema: UserSchema, hold_seconds: float = 0
) -> Published:
    """Publish unpublished users with the registered schema, then rejections; raise PublishError if any
    row is left behind.

    Both tables are attempted even if the first fails, so a broken DLQ topic does not hold up
    the users (or the reverse). A refused user row that is not yet dead-lettered also fails the
    task, after everything else is published, so that its retry makes the next attempt. hold_seconds:
    the test hook of drain().
    """
    parsed_schema = fastavro.parse_schema(json.loads(schema.text))
    to_user_message = partial(user_message, schema=schema, parsed_schema=parsed_schema)
    on_refused = partial(dead_letter_refused, schema=schema, producer=producer, dlq_topic=dlq_topic)
    select_users = _select_users_sql(schema.names)
    users = drain(
        conn,
        producer,
        topic,
        select_users,
        _MARK_USERS,
        to_user_message,
        on_refused,
        hold_seconds=hold_seconds,
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
    published = Published(len(users.delivered), len(rejections.delivered), len(users.dead_lettered))
    failures = [(topic, ref, error) for ref, error in users.failed]
    failures += [(dlq_topic, ref, error) for ref, error in rejections.failed]
    problems = []
    if failures:
        shown = "; ".join(f"{t} {ref}: {error}" for t, ref, error in failures[:5])
        problems.append(f"{len(failures)} message(s) not acknowledged: {shown}")
    if users.waiting:
        shown = "; ".join(f"{ref}: {error}" for ref, error in users.waiting[:5])
        problems.append(
            f"{len(users.waiting)} user(s) refused by the producer, to be tried again "
            f"(dead-lettered after {MAX_PUBLISH_ATTEMPTS} refusals): {shown}"
        )
    if problems:
        raise PublishError(
            f"{'; and '.join(problems)} (published {published.users} users, {published.rejections} "
            f"rejections and dead-lettered {published.dead_lettered} refused users before that)"
        )
    return published
