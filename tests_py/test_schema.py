"""pipeline_contract.schema: a registered schema's fields, and what each asks of a record."""

import json

import pytest
from pipeline_contract import SchemaError, UserField, parse_user_schema
from samples import NATIONALITY, USER_FIELDS, USER_SCHEMA, USER_SCHEMA_JSON, evolved_schema


def test_the_first_version_has_twelve_required_fields_id_first():
    assert USER_SCHEMA.schema_id == 1
    assert USER_SCHEMA.text == USER_SCHEMA_JSON
    assert USER_FIELDS[0] == "id"
    assert len(USER_FIELDS) == 12
    assert USER_SCHEMA.required == USER_FIELDS


def test_a_field_with_a_default_is_optional_and_keeps_its_source_path():
    schema = evolved_schema(2, add=(NATIONALITY,))

    assert schema.names == (*USER_FIELDS, "nationality")
    assert schema.fields[-1] == UserField("nationality", True, "", False, ("nat",))
    assert "nationality" not in schema.required


def test_a_nullable_field_is_optional_with_or_without_a_default():
    schema = evolved_schema(
        3,
        add=(
            {"name": "cell", "type": ["null", "string"], "default": None, "sourcePath": "cell"},
            {"name": "timezone", "type": ["null", "string"], "sourcePath": "location.timezone.offset"},
        ),
    )

    cell, timezone = schema.fields[-2:]
    assert (cell.has_default, cell.default, cell.nullable, cell.required) == (True, None, True, False)
    assert (timezone.has_default, timezone.nullable, timezone.required) == (False, True, False)
    assert timezone.source_path == ("location", "timezone", "offset")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "schema id 9 is not JSON"),
        ('"string"', "schema id 9 is not an Avro record"),
        (
            '{"type": "record", "name": "U", "fields": [{"name": "email", "type": "string"}]}',
            "has no 'id' field",
        ),
        (
            '{"type": "record", "name": "U", "fields": [{"name": "firstName", "type": "string"}]}',
            "field name 'firstName' must be lower-case letters, digits and '_'",
        ),
    ],
)
def test_a_schema_the_tables_cannot_hold_is_named(text, problem):
    with pytest.raises(SchemaError, match=problem):
        parse_user_schema(9, text)


@pytest.mark.parametrize(
    "extra, problem",
    [
        (
            {"name": "nat", "type": "string", "default": "", "sourcePath": "a..b"},
            "sourcePath 'a..b', not a dotted path",
        ),
        (
            {"name": "nat", "type": "string", "default": "", "sourcePath": 7},
            "sourcePath 7, not a dotted path",
        ),
        ({"name": "age", "type": "int", "default": 0}, "default 0, not a string or null"),
    ],
)
def test_a_field_attribute_the_jobs_cannot_use_is_named(extra, problem):
    schema = json.loads(USER_SCHEMA_JSON)
    schema["fields"].append(extra)

    with pytest.raises(SchemaError, match=f"schema id 9: field '{extra['name']}' has {problem}"):
        parse_user_schema(9, json.dumps(schema))
