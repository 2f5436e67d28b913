import base64
import hashlib
import io
import json
import re
from functools import partial

import fastavro
import pytest
from fakes import FakeConnection, FakeProducer
from pipeline import outbox, transform
from pipeline.outbox import Message, Published, PublishError
from pipeline_contract import RECORD_PREFIX_BYTES, canonical_json
from samples import NATIONALITY, ROW, USER_FIELDS, USER_ID, USER_SCHEMA_JSON, api_user, evolved_schema

PARSED_SCHEMA = fastavro.parse_schema(json.loads(USER_SCHEMA_JSON))
# The first version, registered with id 9.
SCHEMA = evolved_schema(9)
SELECT_USERS = outbox._select_users_sql(SCHEMA.names)
SECOND_ID = "0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11"
THIRD_ID = "1f7c2bc5-4d63-4c49-9b66-4a1c5e1c6b22"
# A stored user whose message is over the producer's 1,000,000-byte limit.
HUGE_ID = "00000000-0000-4000-8000-00000000beef"
HUGE_NAME = "x" * 1_200_000


def user_row(user_id: str, **changes: str) -> tuple:
    """A users row as SELECT_USERS returns it."""
    return tuple({**ROW, "id": user_id, **changes}[name] for name in USER_FIELDS)


def rejection_row(raw) -> tuple:
    """A rejected_records row as _SELECT_REJECTIONS returns it."""
    return (transform.record_hash(raw), "empty email", "email", raw)


class OutboxDatabase:
    """The users and rejected_records tables in memory, answering the outbox's statements as PostgreSQL
    would (in insertion order, which stands for fetched_at); `conn` is the connection to hand over."""

    def __init__(
        self, users: list[tuple] = (), rejections: list[tuple] = (), select_users: str = SELECT_USERS
    ):
        self.select_users = select_users
        new = {"published": False, "attempts": 0, "error": None, "dead": False}
        self.users = {row[0]: {**new, "row": row} for row in users}
        self.rejections = {row[0]: {**new, "row": row} for row in rejections}
        self.conn = FakeConnection(self._execute)

    def _execute(self, sql: str, params) -> list[tuple]:
        if sql in (self.select_users, outbox._SELECT_REJECTIONS):
            table = self.users if sql == self.select_users else self.rejections
            skip, limit = params
            left = [r["row"] for ref, r in table.items() if not (r["published"] or r["dead"] or ref in skip)]
            return left[:limit]
        if sql == outbox._MARK_USERS:
            self._set(self.users, params[0], "published")
        elif sql == outbox._MARK_REJECTIONS:
            self._set(self.rejections, params[0], "published")
        elif sql == outbox._MARK_DEAD_LETTERED:
            self._set(self.users, params[0], "dead")
        elif sql == outbox._COUNT_REFUSALS:
            for ref, error in zip(*params, strict=True):
                self.users[ref]["attempts"] += 1
                self.users[ref]["error"] = error
            return [(ref, self.users[ref]["attempts"]) for ref in params[0]]
        else:
            raise AssertionError(f"unexpected statement: {sql}")
        return []

    @staticmethod
    def _set(table: dict, refs: list[str], flag: str) -> None:
        for ref in refs:
            table[ref][flag] = True

    def published(self, table: str = "users") -> list[str]:
        return [ref for ref, r in getattr(self, table).items() if r["published"]]


def drain_users(db: OutboxDatabase, producer: FakeProducer, *on_refused, **options) -> outbox.Drained:
    """outbox.drain over the users table, with the first schema version's messages."""
    to_message = partial(outbox.user_message, schema=SCHEMA, parsed_schema=PARSED_SCHEMA)
    return outbox.drain(
        db.conn, producer, "t", SELECT_USERS, outbox._MARK_USERS, to_message, *on_refused, **options
    )


def publish(db: OutboxDatabase, producer: FakeProducer) -> Published:
    return outbox.publish_outbox(db.conn, producer, "users_created", "users_created.dlq", SCHEMA)


def test_deliver_splits_acknowledged_from_failed_and_refused_messages():
    producer = FakeProducer(fail={b"f"}, lose={b"l"}, refuse={b"r"}, too_large_for_broker={b"t"})
    producer.message_max_bytes = 10
    messages = [Message(k, k.encode(), b"v") for k in ("a", "f", "l", "r", "t", "b", "x")]
    messages[-1] = Message("x", b"x", b"v" * 11)

    outcome = outbox.deliver(producer, "t", messages)

    assert outcome.delivered == ["a", "b"]
    failed = dict(outcome.failed)
    assert list(failed) == ["f", "l", "r"]
    assert failed["f"] == "_MSG_TIMED_OUT: Local: Message timed out"
    assert failed["l"] == "no delivery report before the flush timeout"
    # A full local queue is about the broker's pace, not the message: a failure, not a refusal.
    assert failed["r"] == "not queued: Local: Queue full"
    assert outcome.refused == [
        ("t", "MSG_SIZE_TOO_LARGE: Broker: Message size too large"),
        ("x", "not queued: MSG_SIZE_TOO_LARGE: Unable to produce message: Broker: Message size too large"),
    ]
    assert [key for _, key, _ in producer.sent] == [b"a", b"f", b"l", b"t", b"b"]
    assert producer.flushes == 1


def test_users_are_sent_keyed_by_id_as_confluent_avro_and_marked():
    db = OutboxDatabase(users=[user_row(USER_ID)])
    producer = FakeProducer()

    assert publish(db, producer) == Published(users=1, rejections=0, dead_lettered=0)

    ((topic, key, value),) = producer.sent
    assert (topic, key, value[:5]) == ("users_created", USER_ID.encode(), b"\x00\x00\x00\x00\x09")
    decoded = fastavro.schemaless_reader(io.BytesIO(value[5:]), PARSED_SCHEMA)
    assert {**decoded, "id": str(decoded["id"])} == ROW
    assert db.published() == [USER_ID]


def test_rejections_go_to_the_dlq_as_ingest_stage_json():
    keyed, unkeyed = api_user({"email": ""}), api_user({"login": {}})
    db = OutboxDatabase(rejections=[rejection_row(keyed), rejection_row(unkeyed)])
    producer = FakeProducer()

    assert publish(db, producer) == Published(users=0, rejections=2, dead_lettered=0)

    (topic, key, value), (_, no_key, _) = producer.sent
    assert (topic, key, no_key) == ("users_created.dlq", USER_ID.encode(), None)
    assert json.loads(value) == {
        "stage": "ingest",
        "reason": "empty email",
        "field": "email",
        "record": keyed,
        "source": None,
        "size": len(canonical_json(keyed)),
        # The record's canonical JSON is what its record_hash digests too.
        "sha256": transform.record_hash(keyed),
        "truncated": False,
    }
    assert db.published("rejections") == [transform.record_hash(keyed), transform.record_hash(unkeyed)]


def test_full_batches_are_drained_until_a_short_one():
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(5)]
    db = OutboxDatabase(users=[user_row(i) for i in ids])

    outcome = drain_users(db, FakeProducer(), batch_size=2)

    assert outcome.delivered == ids
    assert outcome.failed == []
    assert len(db.conn.sql("FROM users")) == 3
    assert db.conn.commits == 3  # one transaction per batch


def test_only_acknowledged_rows_are_marked_and_the_run_fails():
    rejection = rejection_row(api_user({"email": ""}))
    db = OutboxDatabase(users=[user_row(USER_ID), user_row(SECOND_ID)], rejections=[rejection])
    producer = FakeProducer(fail={SECOND_ID.encode()})

    with pytest.raises(PublishError, match=r"^1 message\(s\) not acknowledged") as error:
        publish(db, producer)

    assert SECOND_ID in str(error.value)
    assert db.published() == [USER_ID]
    # A failed batch ends the drain of its table rather than re-sending the same rows at once,
    assert len(db.conn.sql("FROM users")) == 1
    # but the other table is still published.
    assert len(db.published("rejections")) == 1
    # A broker that does not answer is no refusal: the row is not counted against.
    assert db.users[SECOND_ID]["attempts"] == 0


def test_a_user_the_producer_refuses_does_not_hold_up_the_others():
    # GIVEN the oldest unpublished row is too large for a Kafka message
    huge = user_row(HUGE_ID, first_name=HUGE_NAME)
    db = OutboxDatabase(users=[huge, user_row(USER_ID), user_row(SECOND_ID)])
    producer = FakeProducer()

    # WHEN the outbox is published
    with pytest.raises(
        PublishError, match=r"^1 user\(s\) refused by the producer, to be tried again"
    ) as error:
        publish(db, producer)

    # THEN the others are published, the refusal is counted with its reason, and the task fails for a retry
    assert db.published() == [USER_ID, SECOND_ID]
    assert db.users[HUGE_ID]["attempts"] == 1
    assert db.users[HUGE_ID]["error"].startswith("not queued: MSG_SIZE_TOO_LARGE")
    assert "published 2 users" in str(error.value)
    assert [topic for topic, _, _ in producer.sent] == ["users_created", "users_created"]


def test_a_refused_row_is_skipped_for_the_rest_of_the_run():
    ids = [USER_ID, SECOND_ID, THIRD_ID]
    db = OutboxDatabase(users=[user_row(HUGE_ID, first_name=HUGE_NAME)] + [user_row(i) for i in ids])

    def on_refused(_cur, refused, _rows):
        return [], refused, []  # every refused row waits for its next attempt

    outcome = drain_users(db, FakeProducer(), on_refused, batch_size=2)

    assert outcome.delivered == ids
    assert [ref for ref, _ in outcome.waiting] == [HUGE_ID]
    # Batches after the refusal leave the refused row out instead of sending it again.
    assert [params[0] for _, params in db.conn.sql("FROM users")] == [[], [HUGE_ID], [HUGE_ID]]


def test_after_max_attempts_a_refused_user_goes_to_the_dlq_with_its_reason_and_leaves_the_outbox():
    db = OutboxDatabase(users=[user_row(HUGE_ID, first_name=HUGE_NAME), user_row(USER_ID)])
    producer = FakeProducer()
    # The task's retries: each attempt but the last fails the task.
    for _ in range(outbox.MAX_PUBLISH_ATTEMPTS - 1):
        with pytest.raises(PublishError):
            publish(db, producer)

    assert publish(db, producer) == Published(users=0, rejections=0, dead_lettered=1)

    ((topic, key, value),) = [sent for sent in producer.sent if sent[0] == "users_created.dlq"]
    assert (topic, key) == ("users_created.dlq", HUGE_ID.encode())
    letter = json.loads(value)
    user = dict(zip(USER_FIELDS, user_row(HUGE_ID, first_name=HUGE_NAME), strict=True))
    raw = canonical_json(user)
    assert letter == {
        "stage": "outbox",
        "reason": "refused by the producer 3 times, the last time with: not queued: MSG_SIZE_TOO_LARGE: "
        "Unable to produce message: Broker: Message size too large",
        "field": None,
        "source": None,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "truncated": True,
        "record": base64.b64encode(raw[:RECORD_PREFIX_BYTES]).decode(),
    }
    assert len(value) < 7000
    assert db.users[HUGE_ID]["dead"]
    assert not db.users[HUGE_ID]["published"]
    # Gone from the outbox: the next run sends nothing.
    sent = len(producer.sent)
    assert publish(db, producer) == Published(users=0, rejections=0, dead_lettered=0)
    assert len(producer.sent) == sent


def test_a_refusal_reported_by_the_broker_counts_as_one():
    db = OutboxDatabase(users=[user_row(USER_ID), user_row(SECOND_ID)])

    with pytest.raises(PublishError, match="refused by the producer"):
        publish(db, FakeProducer(too_large_for_broker={USER_ID.encode()}))

    assert db.users[USER_ID]["attempts"] == 1
    assert db.users[USER_ID]["error"] == "MSG_SIZE_TOO_LARGE: Broker: Message size too large"
    assert db.published() == [SECOND_ID]


def test_an_unreachable_broker_never_dead_letters_a_row():
    db = OutboxDatabase(users=[user_row(USER_ID)])
    producer = FakeProducer(fail={USER_ID.encode()})

    for _ in range(outbox.MAX_PUBLISH_ATTEMPTS + 1):
        with pytest.raises(PublishError, match="not acknowledged"):
            publish(db, producer)

    assert db.users[USER_ID]["attempts"] == 0
    assert not db.users[USER_ID]["dead"]
    assert all(topic == "users_created" for topic, _, _ in producer.sent)


def test_a_dead_letter_that_is_not_acknowledged_leaves_the_row_in_the_outbox():
    db = OutboxDatabase(users=[user_row(HUGE_ID, first_name=HUGE_NAME)])
    db.users[HUGE_ID]["attempts"] = outbox.MAX_PUBLISH_ATTEMPTS - 1
    producer = FakeProducer(unreachable_topics={"users_created.dlq"})

    unsent = f"users_created {HUGE_ID}: its dead letter to users_created.dlq: _MSG_TIMED_OUT"
    with pytest.raises(PublishError, match=re.escape(f"1 message(s) not acknowledged: {unsent}")):
        publish(db, producer)

    assert not db.users[HUGE_ID]["dead"]
    # The next attempt, with the dead-letter topic back, moves it.
    assert publish(db, FakeProducer()) == Published(users=0, rejections=0, dead_lettered=1)
    assert db.users[HUGE_ID]["dead"]


def test_a_rejection_the_producer_refuses_is_a_failure_of_the_run():
    # Rejections already are dead letters: there is nowhere further to move one.
    db = OutboxDatabase(rejections=[rejection_row(api_user({"email": ""}))])

    with pytest.raises(PublishError, match=re.escape("1 message(s) not acknowledged: users_created.dlq")):
        publish(db, FakeProducer(message_max_bytes=100))

    assert db.published("rejections") == []


def test_the_hold_test_hook_waits_between_the_acknowledgement_and_the_mark():
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
    db = OutboxDatabase(users=[user_row(i) for i in ids])
    producer = FakeProducer()
    events: list[str] = []

    def sleep(seconds: float) -> None:
        # By now the broker acknowledged the batch, and nothing of it is marked yet.
        events.append(f"hold {seconds} after {producer.flushes} flushes, {len(db.published())} marked")

    drain_users(db, producer, batch_size=2, hold_seconds=7, sleep=sleep)

    assert events == ["hold 7 after 1 flushes, 0 marked", "hold 7 after 2 flushes, 2 marked"]
    assert db.published() == ids


def test_no_hold_by_default_nor_for_a_batch_with_nothing_acknowledged():
    unanswered = OutboxDatabase(users=[user_row(USER_ID)])
    held: list[float] = []

    def drain(db: OutboxDatabase, producer: FakeProducer, **hold) -> None:
        to_message = partial(outbox.user_message, schema=SCHEMA, parsed_schema=PARSED_SCHEMA)
        outbox.drain(
            db.conn, producer, "t", SELECT_USERS, outbox._MARK_USERS, to_message, sleep=held.append, **hold
        )

    drain(unanswered, FakeProducer(fail={USER_ID.encode()}), hold_seconds=7)
    drain(OutboxDatabase(users=[user_row(USER_ID)]), FakeProducer())

    assert held == []
    assert unanswered.published() == []


def test_publish_outbox_passes_the_hold_to_both_tables(monkeypatch):
    holds: dict[str, float] = {}

    def drain(_conn, _producer, topic, *_args, hold_seconds):
        holds[topic] = hold_seconds
        return outbox.Drained([], [])

    monkeypatch.setattr(outbox, "drain", drain)
    outbox.publish_outbox(FakeConnection(), FakeProducer(), "u", "u.dlq", SCHEMA, hold_seconds=3)

    assert holds == {"u": 3, "u.dlq": 3}


def test_rows_are_claimed_with_skip_locked():
    for select in (SELECT_USERS, outbox._SELECT_REJECTIONS):
        assert "WHERE published_at IS NULL" in select
        assert "FOR UPDATE SKIP LOCKED" in select
    assert "dead_lettered_at IS NULL" in SELECT_USERS


def test_producer_is_idempotent_and_waits_for_all_replicas(monkeypatch):
    monkeypatch.setattr(outbox, "Producer", lambda config: config)

    config = outbox.make_producer("broker:29092", "producer", "s3cret-pw")

    assert config["bootstrap.servers"] == "broker:29092"
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["message.timeout.ms"] < outbox.FLUSH_TIMEOUT_SECONDS * 1000


def test_producer_logs_in_with_scram_sha_512(monkeypatch):
    monkeypatch.setattr(outbox, "Producer", lambda config: config)

    config = outbox.make_producer("broker:29092", "producer", "s3cret-pw")

    keys = ("security.protocol", "sasl.mechanism", "sasl.username", "sasl.password")
    assert {k: config[k] for k in keys} == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "producer",
        "sasl.password": "s3cret-pw",
    }


def test_users_are_published_with_the_latest_schema_fields_and_id():
    schema = evolved_schema(10, add=(NATIONALITY,))
    db = OutboxDatabase(
        users=[(*user_row(USER_ID), "GB")], select_users=outbox._select_users_sql(schema.names)
    )
    producer = FakeProducer()

    outbox.publish_outbox(db.conn, producer, "users_created", "users_created.dlq", schema)

    (select, _), *_ = db.conn.sql("FROM users")
    assert f"SELECT id::text, {', '.join(USER_FIELDS[1:])}, nationality" in select
    ((_, _, value),) = producer.sent
    assert value[:5] == b"\x00\x00\x00\x00\x0a"
    decoded = fastavro.schemaless_reader(
        io.BytesIO(value[5:]), fastavro.parse_schema(json.loads(schema.text))
    )
    assert decoded["nationality"] == "GB"
