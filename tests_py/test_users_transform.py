import base64
import hashlib
import io
import json
import struct

import fastavro
import pytest
from pipeline_contract import RECORD_PREFIX_BYTES, UserSchema
from pyspark.sql.types import BinaryType, IntegerType, LongType, StringType, StructField, StructType
from samples import NATIONALITY, ROW, USER_FIELDS, USER_ID, evolved_schema
from users_transform import (
    REASON_INVALID_UTF8,
    REASON_MISSING_FIELD,
    REASON_NO_HEADER,
    REASON_NOT_UUID,
    REASON_NUL,
    REASON_UNDECODABLE,
    REASON_UNKNOWN_SCHEMA_ID,
    REASON_UNREADABLE_SCHEMA,
    REASON_WRONG_MAGIC,
    BatchSchemas,
    classify_users,
    dlq_messages,
    observe_rejections,
    split_confluent_header,
    valid_rows,
)

SCHEMA_ID = 7
V1 = evolved_schema(SCHEMA_ID)
# The first version read with itself: the job before any schema change.
ONLY_V1 = BatchSchemas(reader=V1, writers={SCHEMA_ID: V1.text})
PARSED_SCHEMA = fastavro.parse_schema(json.loads(V1.text))

# The columns Spark's Kafka source gives (timestamp ones left out: nothing reads them).
KAFKA_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
    ]
)


def avro_body(schema: UserSchema = V1, **changes) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(json.loads(schema.text)), {**ROW, **changes})
    return out.getvalue()


def raw_avro_body(**raw_fields: bytes) -> bytes:
    """The Avro body written by hand, so a string may hold bytes no encoder would write (invalid UTF-8):
    each field is its zig-zag varint length, then its bytes."""
    out = b""
    for name in USER_FIELDS:
        value = raw_fields.get(name, ROW[name].encode())
        length = len(value) << 1  # zig-zag of a non-negative length
        while length > 0x7F:
            out += bytes([length & 0x7F | 0x80])
            length >>= 7
        out += bytes([length]) + value
    return out


def framed(body: bytes, schema_id: int = SCHEMA_ID, magic: int = 0) -> bytes:
    return struct.pack(">BI", magic, schema_id) + body


def kafka_frame(spark, *values: bytes | None, key: bytes | None = USER_ID.encode()):
    rows = [(key, value, "users_created", 1, offset) for offset, value in enumerate(values, start=100)]
    return spark.createDataFrame(rows, KAFKA_SCHEMA)


def classified(spark, *values, schemas: BatchSchemas = ONLY_V1, **kwargs):
    # Persisted as write_batch does (see classify_users for why).
    return classify_users(split_confluent_header(kafka_frame(spark, *values, **kwargs)), schemas).persist()


def reasons(spark, *values) -> list[tuple]:
    return [(r.reason, r.field) for r in classified(spark, *values).orderBy("offset").collect()]


def test_header_is_split_into_magic_byte_schema_id_and_body(spark):
    row = split_confluent_header(kafka_frame(spark, framed(b"avro", schema_id=0x01020304))).first()

    assert (row.magic_byte, row.schema_id, bytes(row.body)) == (0, 0x01020304, b"avro")


def test_a_valid_message_becomes_exactly_the_cassandra_row(spark):
    frame = classified(spark, framed(avro_body()))

    valid = valid_rows(frame, USER_FIELDS)

    assert valid.columns == list(USER_FIELDS)
    assert [row.asDict() for row in valid.collect()] == [ROW]
    assert dlq_messages(frame).count() == 0


@pytest.mark.parametrize(
    "value, reason, field",
    [
        pytest.param(framed(avro_body(), magic=1), REASON_WRONG_MAGIC, None, id="wrong-magic-byte"),
        pytest.param(
            framed(avro_body(), schema_id=SCHEMA_ID + 1),
            REASON_UNKNOWN_SCHEMA_ID,
            None,
            id="unknown-schema-id",
        ),
        pytest.param(framed(avro_body()[:20]), REASON_UNDECODABLE, None, id="truncated-avro"),
        pytest.param(framed(b"\xff" * 9 + b"\x01"), REASON_UNDECODABLE, None, id="garbage-avro"),
        pytest.param(b"\x00\x00\x00", REASON_NO_HEADER, None, id="short-header"),
        pytest.param(None, REASON_NO_HEADER, None, id="tombstone"),
        pytest.param(framed(avro_body(id="not-a-uuid")), REASON_NOT_UUID, "id", id="id-not-uuid"),
        pytest.param(
            framed(avro_body(picture="   ")), f"{REASON_MISSING_FIELD}: picture", "picture", id="blank-field"
        ),
    ],
)
def test_each_bad_kind_is_invalid_with_its_reason(spark, value, reason, field):
    frame = classified(spark, framed(avro_body()), value)

    assert [(r.reason, r.field) for r in frame.orderBy("offset").collect()] == [(None, None), (reason, field)]
    assert valid_rows(frame, USER_FIELDS).count() == 1


@pytest.mark.parametrize("name", USER_FIELDS)
def test_every_required_field_is_named_when_empty(spark, name):
    assert reasons(spark, framed(avro_body(**{name: ""}))) == [(f"{REASON_MISSING_FIELD}: {name}", name)]


def test_dlq_message_for_a_decoded_record_has_the_contract_shape(spark):
    value = framed(avro_body(email=""))

    (message,) = dlq_messages(classified(spark, value)).collect()

    assert message.key == USER_ID
    assert json.loads(message.value) == {
        "stage": "stream",
        "reason": f"{REASON_MISSING_FIELD}: email",
        "field": "email",
        "source": {"topic": "users_created", "partition": 1, "offset": 100},
        "size": len(value),
        "sha256": hashlib.sha256(value).hexdigest(),
        "truncated": False,
        "record": {**ROW, "email": ""},
    }


def test_dlq_message_for_undecodable_bytes_carries_them_in_base64(spark):
    # Long enough for Spark's base64 to wrap lines if chunking is on: the JSON must stay valid.
    value = framed(b"\x01" + bytes(range(256)) * 2, magic=3)

    (message,) = dlq_messages(classified(spark, value, key=b"some-key")).collect()

    payload = json.loads(message.value)
    assert base64.b64decode(payload["record"]) == value
    assert (payload["stage"], payload["reason"], payload["field"]) == ("stream", REASON_WRONG_MAGIC, None)
    assert payload["source"] == {"topic": "users_created", "partition": 1, "offset": 100}
    assert (payload["size"], payload["truncated"]) == (len(value), False)
    assert message.key == "some-key"


def test_dlq_message_for_a_tombstone_has_a_null_record_and_key(spark):
    (message,) = dlq_messages(classified(spark, None, key=None)).collect()

    assert message.key is None
    payload = json.loads(message.value)
    assert (payload["record"], payload["size"], payload["sha256"], payload["truncated"]) == (
        None,
        None,
        None,
        False,
    )


# Kafka's default message limit (the broker's message.max.bytes; the producer's max.request.size is 1 MiB).
KAFKA_DEFAULT_MESSAGE_BYTES = 1_048_588


@pytest.mark.parametrize("size", [RECORD_PREFIX_BYTES + 1, 800_000])
def test_a_large_undecodable_value_is_cut_to_a_prefix_so_the_dead_letter_fits_in_kafka(spark, size):
    # The 800 KB garbage of the issue: base64 of it whole (1.07 MB) would exceed Kafka's request limit.
    value = framed(bytes(i % 251 for i in range(size - 5)) + b"\xff")

    (message,) = dlq_messages(classified(spark, value)).collect()

    payload = json.loads(message.value)
    assert payload["reason"] == REASON_UNDECODABLE
    assert payload["truncated"] is True
    assert base64.b64decode(payload["record"]) == value[:RECORD_PREFIX_BYTES]
    assert (payload["size"], payload["sha256"]) == (len(value), hashlib.sha256(value).hexdigest())
    assert len(message.value.encode()) < 6_000 < KAFKA_DEFAULT_MESSAGE_BYTES


def test_the_value_at_the_cap_travels_whole(spark):
    value = framed(b"\xff" * (RECORD_PREFIX_BYTES - 5))

    payload = json.loads(dlq_messages(classified(spark, value)).first().value)

    assert (payload["truncated"], base64.b64decode(payload["record"])) == (False, value)


def test_a_decoded_record_too_large_for_the_envelope_travels_as_a_prefix_of_its_bytes(spark):
    # Decodes, but is dead-lettered for its id: its JSON would be over the cap.
    value = framed(avro_body(id="not-a-uuid", first_name="x" * 100_000))

    payload = json.loads(dlq_messages(classified(spark, value)).first().value)

    assert (payload["reason"], payload["field"], payload["truncated"]) == (REASON_NOT_UUID, "id", True)
    assert base64.b64decode(payload["record"]) == value[:RECORD_PREFIX_BYTES]
    assert payload["size"] == len(value)


def test_a_nul_character_is_dead_lettered_naming_the_field_with_the_record_as_json(spark):
    value = framed(avro_body(last_name="Love\x00lace"))

    frame = classified(spark, value)
    (message,) = dlq_messages(frame).collect()

    assert valid_rows(frame, USER_FIELDS).count() == 0
    payload = json.loads(message.value)
    assert (payload["reason"], payload["field"]) == (f"{REASON_NUL}: last_name", "last_name")
    assert payload["record"] == {**ROW, "last_name": "Love\x00lace"}
    assert message.key == USER_ID


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            b"\xed\xa0\x80", id="lone-surrogate-U+D800"
        ),  # how UTF-8 would write U+D800, were it allowed
        pytest.param(b"\xff", id="not-utf8-at-all"),
        pytest.param(b"\xc3", id="cut-multibyte"),
    ],
)
def test_invalid_utf8_is_dead_lettered_naming_the_field_with_the_raw_bytes(spark, bad):
    value = framed(raw_avro_body(first_name=b"A" + bad + b"da"))

    frame = classified(spark, value)
    (message,) = dlq_messages(frame).collect()

    assert valid_rows(frame, USER_FIELDS).count() == 0
    payload = json.loads(message.value)
    assert (payload["reason"], payload["field"]) == (f"{REASON_INVALID_UTF8}: first_name", "first_name")
    # The bytes themselves, not a JSON rendering in which U+FFFD would replace them.
    assert base64.b64decode(payload["record"]) == value
    assert payload["truncated"] is False


def test_valid_multibyte_text_is_valid(spark):
    value = framed(raw_avro_body(first_name="Zoë 😀 名前".encode()))

    assert valid_rows(classified(spark, value), USER_FIELDS).first().first_name == "Zoë 😀 名前"


def test_dlq_reasons_with_quotes_stay_valid_json(spark):
    # The record is spliced into the envelope by string operations, so check the seams hold.
    value = framed(avro_body(id='x"}, "evil": {"'))

    (message,) = dlq_messages(classified(spark, value)).collect()

    payload = json.loads(message.value)
    assert payload["record"]["id"] == 'x"}, "evil": {"'
    assert message.key == 'x"}, "evil": {"'
    assert set(payload) == {"stage", "reason", "field", "record", "source", "size", "sha256", "truncated"}


# ---- Schema evolution: each message read with its writer schema, projected onto the latest ----

V2 = evolved_schema(SCHEMA_ID + 1, add=(NATIONALITY,))
NULLABLE = {"name": "note", "type": ["null", "string"], "default": None}


def rejections_of_writing(spark, *values):
    """The rejections observed while the valid rows of a classified batch are read, as a write would."""
    observed, counted = observe_rejections(classified(spark, *values))
    written = valid_rows(observed, ("id",)).collect()
    return written, counted()


def test_the_rejections_are_counted_by_the_rows_write_and_name_the_unknown_schema_ids_once(spark):
    values = (
        framed(avro_body()),
        framed(b"a", schema_id=3),
        framed(b"b", schema_id=5),
        framed(b"c", 3),
        framed(b"d", 9, magic=1),
        b"\x00",
    )

    written, found = rejections_of_writing(spark, *values)

    # Unknown ids 3, 3 and 5, the wrong magic byte and the missing header; the one valid row is no rejection.
    assert (found.count, found.unknown_schema_ids) == (5, (3, 5))
    assert [row.id for row in written] == [ROW["id"]]
    assert rejections_of_writing(spark, framed(avro_body()))[1] == type(found)(count=0, unknown_schema_ids=())


def test_a_batch_with_no_rows_counts_no_rejection(spark):
    written, found = rejections_of_writing(spark)

    assert (written, found.count, found.unknown_schema_ids) == ([], 0, ())


def test_old_and_new_writers_in_one_batch_are_both_read_with_the_latest_fields(spark):
    schemas = BatchSchemas(reader=V2, writers={V1.schema_id: V1.text, V2.schema_id: V2.text})
    new_id = "0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11"

    frame = classified(
        spark,
        framed(avro_body(V1)),
        framed(avro_body(V2, id=new_id, nationality="NZ"), schema_id=V2.schema_id),
        schemas=schemas,
    )

    rows = [row.asDict() for row in valid_rows(frame, V2.names).orderBy("id").collect()]
    # The first version lacks nationality: it takes the latest schema's default.
    assert rows == [{**ROW, "id": new_id, "nationality": "NZ"}, {**ROW, "nationality": ""}]
    assert dlq_messages(frame).count() == 0


def test_a_field_the_latest_schema_does_not_know_is_ignored(spark):
    without_phone = evolved_schema(SCHEMA_ID + 2, drop=("phone",))
    schemas = BatchSchemas(reader=without_phone, writers={V2.schema_id: V2.text})

    frame = classified(
        spark, framed(avro_body(V2, nationality="NZ"), schema_id=V2.schema_id), schemas=schemas
    )

    (row,) = valid_rows(frame, without_phone.names).collect()
    assert row.asDict() == {name: value for name, value in ROW.items() if name != "phone"}


def test_only_the_table_columns_are_written(spark):
    schemas = BatchSchemas(reader=V2, writers={V2.schema_id: V2.text})
    frame = classified(
        spark, framed(avro_body(V2, nationality="NZ"), schema_id=V2.schema_id), schemas=schemas
    )

    valid = valid_rows(frame, USER_FIELDS)

    assert valid.columns == list(USER_FIELDS)


def test_optional_fields_may_be_blank_or_null_and_required_ones_may_not(spark):
    latest = evolved_schema(SCHEMA_ID + 3, add=(NATIONALITY, NULLABLE))
    schemas = BatchSchemas(reader=latest, writers={latest.schema_id: latest.text})

    def write(**changes):
        return framed(avro_body(latest, nationality="", note=None, **changes), latest.schema_id)

    frame = classified(spark, write(), write(last_name=" "), schemas=schemas)

    assert [(r.reason, r.field) for r in frame.orderBy("offset").collect()] == [
        (None, None),
        (f"{REASON_MISSING_FIELD}: last_name", "last_name"),
    ]
    (row,) = valid_rows(frame, latest.names).collect()
    assert (row.nationality, row.note) == ("", None)


def test_an_id_the_registry_does_not_know_and_one_the_reader_cannot_read_are_dead_lettered(spark):
    schemas = BatchSchemas(reader=V2, writers={V2.schema_id: V2.text}, unreadable=frozenset({40}))

    frame = classified(
        spark,
        framed(avro_body(V2, nationality="NZ"), schema_id=V2.schema_id),
        framed(avro_body(V1), schema_id=V1.schema_id),
        framed(avro_body(V1), schema_id=40),
        schemas=schemas,
    )

    assert [r.reason for r in frame.orderBy("offset").collect()] == [
        None,
        REASON_UNKNOWN_SCHEMA_ID,
        REASON_UNREADABLE_SCHEMA,
    ]
    # Not decoded: the dead letter carries the raw bytes, which the replay tool can read later.
    payloads = [json.loads(m.value) for m in dlq_messages(frame).collect()]
    assert all(isinstance(p["record"], str) for p in payloads)


def test_a_batch_with_no_readable_writer_still_classifies(spark):
    frame = classified(spark, framed(avro_body()), schemas=BatchSchemas(reader=V1, writers={}))

    assert [r.reason for r in frame.collect()] == [REASON_UNKNOWN_SCHEMA_ID]
    assert valid_rows(frame, USER_FIELDS).count() == 0
