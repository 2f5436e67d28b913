import io
import json

import fastavro
import pytest
from fakes import FakeConnection, FakeProducer, Reply
from pipeline import outbox, transform
from pipeline.outbox import Message, PublishError, RegistryError
from pipeline_contract import USER_FIELDS
from samples import ROW, USER_ID, USER_SCHEMA_JSON, api_user

PARSED_SCHEMA = fastavro.parse_schema(json.loads(USER_SCHEMA_JSON))
SECOND_ID = "0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11"


def user_row(user_id: str) -> tuple:
    """A users row as _SELECT_USERS returns it."""
    return tuple({**ROW, "id": user_id}[name] for name in USER_FIELDS)


def rejection_row(raw) -> tuple:
    """A rejected_records row as _SELECT_REJECTIONS returns it."""
    return (transform.record_hash(raw), "empty email", "email", raw)


def outbox_db(users: list[list[tuple]], rejections: list[list[tuple]]) -> FakeConnection:
    """A database whose SELECTs return the given batches in turn, then nothing."""
    batches = {"FROM users": list(users), "FROM rejected_records": list(rejections)}

    def on_execute(sql, _params):
        for table, queue in batches.items():
            if table in sql and sql.lstrip().startswith("SELECT"):
                return queue.pop(0) if queue else []
        return []

    return FakeConnection(on_execute)


def marked(conn: FakeConnection, table: str) -> list[str]:
    return [ref for _, (refs,) in conn.sql(f"UPDATE {table}") for ref in refs]


def test_deliver_splits_acknowledged_from_failed_messages():
    producer = FakeProducer(fail={b"f"}, lose={b"l"}, refuse={b"r"})
    messages = [Message(k, k.encode(), b"v") for k in ("a", "f", "l", "r", "b")]

    outcome = outbox.deliver(producer, "t", messages)

    assert outcome.delivered == ["a", "b"]
    failed = dict(outcome.failed)
    assert list(failed) == ["f", "l", "r"]
    assert "Message timed out" in failed["f"]
    assert failed["l"] == "no delivery report before the flush timeout"
    assert failed["r"] == "not queued: Local: Queue full"
    assert [key for _, key, _ in producer.sent] == [b"a", b"f", b"l", b"b"]
    assert producer.flushes == 1


def test_users_are_sent_keyed_by_id_as_confluent_avro_and_marked():
    conn = outbox_db(users=[[user_row(USER_ID)]], rejections=[])
    producer = FakeProducer()

    assert outbox.publish_outbox(conn, producer, "users_created", "users_created.dlq", 9, PARSED_SCHEMA) == (
        1,
        0,
    )

    ((topic, key, value),) = producer.sent
    assert (topic, key, value[:5]) == ("users_created", USER_ID.encode(), b"\x00\x00\x00\x00\x09")
    decoded = fastavro.schemaless_reader(io.BytesIO(value[5:]), PARSED_SCHEMA)
    assert {**decoded, "id": str(decoded["id"])} == ROW
    assert marked(conn, "users") == [USER_ID]


def test_rejections_go_to_the_dlq_as_ingest_stage_json():
    keyed, unkeyed = api_user({"email": ""}), api_user({"login": {}})
    conn = outbox_db(users=[], rejections=[[rejection_row(keyed), rejection_row(unkeyed)]])
    producer = FakeProducer()

    assert outbox.publish_outbox(conn, producer, "users_created", "users_created.dlq", 9, PARSED_SCHEMA) == (
        0,
        2,
    )

    (topic, key, value), (_, no_key, _) = producer.sent
    assert (topic, key, no_key) == ("users_created.dlq", USER_ID.encode(), None)
    assert json.loads(value) == {
        "stage": "ingest",
        "reason": "empty email",
        "field": "email",
        "record": keyed,
        "source": None,
    }
    assert marked(conn, "rejected_records") == [transform.record_hash(keyed), transform.record_hash(unkeyed)]


def test_full_batches_are_drained_until_a_short_one():
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(5)]
    conn = outbox_db(
        users=[[user_row(i) for i in ids[:2]], [user_row(i) for i in ids[2:4]], [user_row(ids[4])]],
        rejections=[],
    )

    outcome = outbox.drain(
        conn,
        FakeProducer(),
        "t",
        outbox._SELECT_USERS,
        outbox._MARK_USERS,
        lambda row: outbox.user_message(row, 1, PARSED_SCHEMA),
        batch_size=2,
    )

    assert outcome.delivered == ids
    assert outcome.failed == []
    assert len(conn.sql("FROM users")) == 3
    assert conn.commits == 3  # one transaction per batch


def test_only_acknowledged_rows_are_marked_and_the_run_fails():
    conn = outbox_db(
        users=[[user_row(USER_ID), user_row(SECOND_ID)], [user_row(USER_ID)]],
        rejections=[[rejection_row(api_user({"email": ""}))]],
    )
    producer = FakeProducer(fail={SECOND_ID.encode()})

    with pytest.raises(PublishError, match="1 message\\(s\\) not acknowledged") as error:
        outbox.publish_outbox(conn, producer, "u", "u.dlq", 1, PARSED_SCHEMA)

    assert SECOND_ID in str(error.value)
    assert marked(conn, "users") == [USER_ID]
    # A failed batch ends the drain of its table rather than re-sending the same rows at once,
    assert len(conn.sql("FROM users")) == 1
    # but the other table is still published.
    assert len(marked(conn, "rejected_records")) == 1


def test_the_hold_test_hook_waits_between_the_acknowledgement_and_the_mark():
    ids = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(3)]
    conn = outbox_db(users=[[user_row(i) for i in ids[:2]], [user_row(ids[2])]], rejections=[])
    producer = FakeProducer()
    events: list[str] = []

    def sleep(seconds: float) -> None:
        # By now the broker acknowledged the batch, and nothing of it is marked yet.
        events.append(f"hold {seconds} after {producer.flushes} flushes, {len(marked(conn, 'users'))} marked")

    outbox.drain(
        conn,
        producer,
        "t",
        outbox._SELECT_USERS,
        outbox._MARK_USERS,
        lambda row: outbox.user_message(row, 1, PARSED_SCHEMA),
        batch_size=2,
        hold_seconds=7,
        sleep=sleep,
    )

    assert events == ["hold 7 after 1 flushes, 0 marked", "hold 7 after 2 flushes, 2 marked"]
    assert marked(conn, "users") == ids


def test_no_hold_by_default_nor_for_a_batch_with_nothing_acknowledged():
    conn = outbox_db(users=[[user_row(USER_ID)]], rejections=[])
    held: list[float] = []

    outbox.drain(
        conn,
        FakeProducer(fail={USER_ID.encode()}),
        "t",
        outbox._SELECT_USERS,
        outbox._MARK_USERS,
        lambda row: outbox.user_message(row, 1, PARSED_SCHEMA),
        hold_seconds=7,
        sleep=held.append,
    )
    outbox.drain(
        outbox_db(users=[[user_row(USER_ID)]], rejections=[]),
        FakeProducer(),
        "t",
        outbox._SELECT_USERS,
        outbox._MARK_USERS,
        lambda row: outbox.user_message(row, 1, PARSED_SCHEMA),
        sleep=held.append,
    )

    assert held == []
    assert marked(conn, "users") == []


def test_publish_outbox_passes_the_hold_to_both_tables(monkeypatch):
    holds: dict[str, float] = {}

    def drain(_conn, _producer, topic, *_args, hold_seconds):
        holds[topic] = hold_seconds
        return outbox.Delivery([], [])

    monkeypatch.setattr(outbox, "drain", drain)
    outbox.publish_outbox(FakeConnection(), FakeProducer(), "u", "u.dlq", 1, PARSED_SCHEMA, hold_seconds=3)

    assert holds == {"u": 3, "u.dlq": 3}


def test_rows_are_claimed_with_skip_locked():
    for select in (outbox._SELECT_USERS, outbox._SELECT_REJECTIONS):
        assert "WHERE published_at IS NULL" in select
        assert "FOR UPDATE SKIP LOCKED" in select


def test_producer_is_idempotent_and_waits_for_all_replicas(monkeypatch):
    monkeypatch.setattr(outbox, "Producer", lambda config: config)

    config = outbox.make_producer("broker:29092")

    assert config["bootstrap.servers"] == "broker:29092"
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["message.timeout.ms"] < outbox.FLUSH_TIMEOUT_SECONDS * 1000


def test_latest_schema_comes_from_the_registry(http_server):
    server = http_server(
        Reply(200, {"subject": "users_created-value", "version": 3, "id": 12, "schema": USER_SCHEMA_JSON})
    )

    schema_id, schema = outbox.fetch_latest_schema(server.url + "/", "users_created-value", 2.0)

    assert schema_id == 12
    assert server.paths == ["/subjects/users_created-value/versions/latest"]
    framed = transform.encode_confluent(ROW, schema_id, schema)
    assert fastavro.schemaless_reader(io.BytesIO(framed[5:]), PARSED_SCHEMA)["email"] == ROW["email"]


def test_registry_errors_name_the_subject_but_not_the_url(http_server):
    server = http_server(Reply(404, {"error_code": 40401, "message": "Subject not found."}))
    url_with_password = server.url.replace("http://", "http://user:s3cret@")

    with pytest.raises(RegistryError, match="HTTP 404 for subject 'users_created-value'") as error:
        outbox.fetch_latest_schema(url_with_password, "users_created-value", 2.0)
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize(
    "body", [{"id": 1}, {"id": 1, "schema": "{not json"}, {"id": 1, "schema": '{"type": "nope"}'}]
)
def test_an_unusable_registry_answer_is_a_clear_error(http_server, body):
    server = http_server(Reply(200, body))

    with pytest.raises(RegistryError, match="no usable Avro schema for subject 'users_created-value'"):
        outbox.fetch_latest_schema(server.url, "users_created-value", 2.0)
