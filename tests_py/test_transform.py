import hashlib
import io
import json
from functools import partial

import fastavro
import pytest
from pipeline import transform
from pipeline.transform import Rejection
from samples import DELETE, NATIONALITY, ROW, USER_ID, USER_SCHEMA, USER_SCHEMA_JSON, api_user, evolved_schema

PARSED_SCHEMA = fastavro.parse_schema(json.loads(USER_SCHEMA_JSON))
# The fields of the registered schema's first version.
to_row = partial(transform.to_row, fields=USER_SCHEMA.fields)
partition = partial(transform.partition, fields=USER_SCHEMA.fields)


def test_valid_record_becomes_a_row_in_schema_order():
    row = to_row(api_user())

    assert row == ROW
    assert list(row) == [field["name"] for field in json.loads(USER_SCHEMA_JSON)["fields"]]


@pytest.mark.parametrize("postcode, expected", [(90210, "90210"), ("NW1 5LR", "NW1 5LR"), ("01234", "01234")])
def test_postcode_is_always_a_string(postcode, expected):
    assert to_row(api_user({"location.postcode": postcode}))["post_code"] == expected


def test_address_is_number_street_city_state_country():
    raw = api_user(
        {
            "location.street.number": 7,
            "location.street.name": "Elm St",
            "location.city": "Springfield",
            "location.state": "Oregon",
            "location.country": "United States",
        }
    )

    assert to_row(raw)["address"] == "7 Elm St, Springfield, Oregon, United States"


@pytest.mark.parametrize(
    "path, field",
    [
        ("login.uuid", "id"),
        ("name.first", "first_name"),
        ("name.last", "last_name"),
        ("gender", "gender"),
        ("location.street.number", "address"),
        ("location.street.name", "address"),
        ("location.city", "address"),
        ("location.state", "address"),
        ("location.country", "address"),
        ("location.postcode", "post_code"),
        ("email", "email"),
        ("login.username", "username"),
        ("dob.date", "dob"),
        ("registered.date", "registered_date"),
        ("phone", "phone"),
        ("picture.medium", "picture"),
    ],
)
@pytest.mark.parametrize(
    "value, problem", [(DELETE, "missing"), ("", "empty"), ("  ", "empty"), (None, "must be a string")]
)
def test_each_missing_or_empty_required_field_is_named(path, field, value, problem):
    rejection = to_row(api_user({path: value}))

    assert isinstance(rejection, Rejection)
    assert rejection.field == field
    assert path in rejection.reason
    assert problem in rejection.reason


def test_a_missing_parent_object_names_the_field():
    rejection = to_row(api_user({"login": DELETE}))

    assert rejection == Rejection("id", "missing login.uuid")


def test_id_must_be_a_uuid():
    rejection = to_row(api_user({"login.uuid": "not-a-uuid"}))

    assert rejection.field == "id"
    assert "not a UUID" in rejection.reason


def test_id_is_lower_cased_like_postgres_and_cassandra_print_it():
    assert to_row(api_user({"login.uuid": USER_ID.upper()}))["id"] == USER_ID


@pytest.mark.parametrize("path", ["phone", "name.first", "location.postcode"])
@pytest.mark.parametrize("value", [True, 1.5, ["x"], {"a": 1}])
def test_wrong_types_are_rejected(path, value):
    rejection = to_row(api_user({path: value}))

    assert isinstance(rejection, Rejection)
    assert "must be a string" in rejection.reason


def test_only_numeric_api_fields_accept_numbers():
    assert isinstance(to_row(api_user({"phone": 5551234})), Rejection)


def test_a_field_added_with_a_source_path_is_read_from_there():
    schema = evolved_schema(2, add=(NATIONALITY,))

    row = transform.to_row(api_user({"nat": "NZ"}), schema.fields)

    assert row == {**ROW, "nationality": "NZ"}
    assert list(row) == list(schema.names)


@pytest.mark.parametrize("value", [DELETE, None, "", "  "])
def test_an_optional_field_absent_or_blank_takes_its_default(value):
    schema = evolved_schema(2, add=({**NATIONALITY, "default": "unknown"},))

    assert transform.to_row(api_user({"nat": value}), schema.fields)["nationality"] == "unknown"


def test_a_nullable_field_without_a_source_is_null():
    schema = evolved_schema(2, add=({"name": "note", "type": ["null", "string"], "default": None},))

    assert transform.to_row(api_user(), schema.fields)["note"] is None


def test_an_optional_field_of_the_wrong_type_is_still_rejected_by_name():
    schema = evolved_schema(2, add=(NATIONALITY,))

    assert transform.to_row(api_user({"nat": {"code": "GB"}}), schema.fields) == Rejection(
        "nationality", "nat must be a string, got dict"
    )


def test_a_required_field_the_dag_cannot_source_rejects_every_record_by_name():
    schema = evolved_schema(2, add=({"name": "shoe_size", "type": "string"},))

    assert transform.to_row(api_user(), schema.fields) == Rejection(
        "shoe_size", "the schema gives required field shoe_size no sourcePath"
    )


def test_a_field_dropped_from_the_schema_is_neither_read_nor_required():
    schema = evolved_schema(2, drop=("phone",))

    row = transform.to_row(api_user({"phone": DELETE}), schema.fields)

    assert row == {name: value for name, value in ROW.items() if name != "phone"}


def test_a_record_that_is_not_an_object_is_rejected_without_a_field():
    assert to_row(["a", "list"]) == Rejection(None, "record is a list, not a JSON object")


def test_partition_splits_rows_from_rejections():
    bad = api_user({"email": ""})

    rows, rejected = partition([api_user(), bad])

    assert rows == [ROW]
    assert [(r.field, r.raw, r.record_hash) for r in rejected] == [("email", bad, transform.record_hash(bad))]


def test_record_hash_ignores_key_order_and_is_stable():
    a = {"b": 1, "a": {"y": 2, "x": [1, 2]}}
    b = {"a": {"x": [1, 2], "y": 2}, "b": 1}

    assert transform.record_hash(a) == transform.record_hash(b)
    # Pinned to the canonical JSON: the hash is a unique key in rejected_records, so a change in
    # how it is computed would store every known bad record a second time.
    canonical = b'{"a":{"x":[1,2],"y":2},"b":1}'
    assert transform.record_hash(a) == hashlib.sha256(canonical).hexdigest()


def test_record_hash_differs_when_content_differs():
    assert transform.record_hash(api_user()) != transform.record_hash(api_user({"email": "x@example.com"}))


def test_confluent_framing_round_trips_through_fastavro():
    framed = transform.encode_confluent(ROW, 258, PARSED_SCHEMA)

    assert framed[0] == 0
    assert framed[1:5] == b"\x00\x00\x01\x02"
    decoded = fastavro.schemaless_reader(io.BytesIO(framed[5:]), PARSED_SCHEMA)
    assert {**decoded, "id": str(decoded["id"])} == ROW


def test_dlq_payload_has_the_contract_shape():
    raw = api_user({"email": ""})

    payload = json.loads(transform.dlq_payload("ingest", "empty email", "email", raw))

    assert payload == {
        "stage": "ingest",
        "reason": "empty email",
        "field": "email",
        "record": raw,
        "source": None,
    }


def test_dlq_payload_carries_a_source_when_given():
    source = {"topic": "users_created", "partition": 2, "offset": 41}

    payload = json.loads(transform.dlq_payload("stream", "undecodable Avro", None, "AAAA", source))

    assert payload["source"] == source
    assert payload["field"] is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        (api_user(), USER_ID),
        (api_user({"login.uuid": "nope"}), "nope"),
        (api_user({"login": DELETE}), None),
        (api_user({"login.uuid": " "}), None),
        (api_user({"login.uuid": 5}), None),
        ("text", None),
    ],
)
def test_user_id_of_keys_dlq_messages_when_an_id_is_known(raw, expected):
    assert transform.user_id_of(raw) == expected
