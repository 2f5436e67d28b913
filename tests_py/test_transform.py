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


# The fields the pipeline reads, by the Avro field each becomes (the address parts all become address).
READ_PATHS = [
    ("login.uuid", "id"),
    ("name.first", "first_name"),
    ("location.street.name", "address"),
    ("location.postcode", "post_code"),
    ("email", "email"),
    ("picture.medium", "picture"),
]


@pytest.mark.parametrize("path, field", READ_PATHS)
@pytest.mark.parametrize(
    "bad, what",
    [
        ("\x00", "a NUL character (U+0000), which PostgreSQL cannot store"),
        ("\ud800", "a lone surrogate (U+D800), which UTF-8 cannot encode"),
        ("\udfff", "a lone surrogate (U+DFFF), which UTF-8 cannot encode"),
    ],
)
def test_text_the_stores_cannot_hold_is_rejected_naming_the_field(path, field, bad, what):
    rejection = to_row(api_user({path: f"ab{bad}c"}))

    assert rejection == Rejection(field, f"{path} contains {what}, at character 2")


def test_a_lone_surrogate_from_a_json_escape_is_caught():
    # What requests' response.json() makes of the API's bytes: json.loads keeps a lone escape as is.
    raw = json.loads('{"first": "\\ud800x"}')

    assert to_row(api_user({"name.first": raw["first"]})).field == "first_name"


def test_a_surrogate_pair_is_ordinary_text():
    # json.loads joins an escaped pair into one character, which UTF-8 encodes.
    first = json.loads('"\\ud83d\\ude00"')

    assert to_row(api_user({"name.first": first}))["first_name"] == "\U0001f600"


@pytest.mark.parametrize("path, field", [(p, f) for p, f in READ_PATHS[1:] if f != "address"])
def test_a_field_longer_than_the_limit_is_rejected_by_name(path, field):
    assert not isinstance(to_row(api_user({path: "x" * 100}), max_field_length=100), Rejection)

    rejection = to_row(api_user({path: "x" * 101}), max_field_length=100)

    assert rejection == Rejection(
        field, f"{path} is 101 characters long, over the limit of 100 (PIPELINE_MAX_FIELD_LENGTH)"
    )


def test_the_assembled_address_is_held_to_the_limit_too():
    raw = api_user({"location.street.name": "s" * 30, "location.city": "c" * 30})

    rejection = to_row(raw, max_field_length=60)

    assert rejection.field == "address"
    assert rejection.reason.startswith("the address assembled from location is ")
    assert rejection.reason.endswith("over the limit of 60 (PIPELINE_MAX_FIELD_LENGTH)")


def test_the_default_limit_is_the_declared_one():
    assert transform.DEFAULT_MAX_FIELD_LENGTH == 1000
    assert not isinstance(to_row(api_user({"email": "e" * 1000})), Rejection)
    assert to_row(api_user({"email": "e" * 1001})).field == "email"


def test_an_800_kb_field_is_rejected_by_name_and_its_record_kept_whole():
    huge = api_user({"name.first": "x" * 800_000})

    rows, (rejected,) = partition([huge, api_user()], max_field_length=1000)

    assert rows == [ROW]
    assert (rejected.field, rejected.raw) == ("first_name", huge)
    limit = "the limit of 1000 (PIPELINE_MAX_FIELD_LENGTH)"
    assert rejected.reason == f"name.first is 800000 characters long, over {limit}"


def test_a_rejected_record_is_stored_with_unstorable_characters_as_their_escape_text():
    raw = api_user({"name.first": "A\x00da", "nat": "\ud800", "id": {"\x00key": ["\udc00", 1]}})

    (rejected,) = partition([raw])[1]

    assert rejected.raw["name"]["first"] == "A\\u0000da"
    assert rejected.raw["nat"] == "\\ud800"
    assert rejected.raw["id"] == {"\\u0000key": ["\\udc00", 1]}
    # The rest is untouched, and the hash (the table's key) is of the record as fetched.
    assert rejected.raw["email"] == raw["email"]
    assert rejected.record_hash == transform.record_hash(raw)
    assert rejected.record_hash != transform.record_hash(rejected.raw)


def test_the_record_hash_of_a_record_with_a_lone_surrogate_is_stable():
    raw = {"a": "\ud800"}

    assert transform.record_hash(raw) == hashlib.sha256(b'{"a":"\\ud800"}').hexdigest()
