"""pipeline_contract: the record's id rule and framing, the variables from their declaration."""

import json
import re
import struct
from pathlib import Path

import pytest
from pipeline_contract import (
    CONFLUENT_HEADER_BYTES,
    CONFLUENT_MAGIC_BYTE,
    UUID_PATTERN,
    VARIABLES,
    ConfigError,
    declared_default,
    environment,
    http_url,
    integer,
    text,
)

REPO = Path(__file__).resolve().parent.parent
DECLARATION = json.loads((REPO / "jobs" / "contract" / "variables.json").read_text())


@pytest.mark.parametrize(
    "value",
    ["6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9a10", "6F1C3F1E-8B5A-4B8E-9A55-0D7C1C2F9A10"],
)
def test_a_canonical_uuid_in_either_case_is_an_id(value):
    assert UUID_PATTERN.match(value)


@pytest.mark.parametrize(
    "value",
    [
        "6f1c3f1e8b5a4b8e9a550d7c1c2f9a10",
        "{6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9a10}",
        "6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9a1",
        "6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9a10a",
        "6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9g10",
        "",
    ],
)
def test_anything_else_is_not_an_id(value):
    assert not UUID_PATTERN.match(value)


def test_the_confluent_header_is_the_magic_byte_and_a_4_byte_schema_id():
    header = struct.pack(">BI", CONFLUENT_MAGIC_BYTE, 7)

    assert len(header) == CONFLUENT_HEADER_BYTES
    assert header == b"\x00\x00\x00\x00\x07"


def test_variables_are_the_declared_ones_in_order():
    assert list(VARIABLES) == [entry["name"] for entry in DECLARATION["variables"]]
    for entry in DECLARATION["variables"]:
        variable = VARIABLES[entry["name"]]
        assert variable.default == entry["default"]
        assert variable.read_by == frozenset(entry["readBy"])
        assert variable.set_by_platform is entry["setByPlatform"]


def test_the_declaration_is_well_formed():
    for variable in VARIABLES.values():
        assert re.fullmatch(r"PIPELINE_[A-Z0-9_]+", variable.name)
        assert variable.default is None or (isinstance(variable.default, str) and variable.default.strip())
        assert variable.read_by, f"{variable.name} is read by nobody"
        assert isinstance(variable.set_by_platform, bool)


def test_a_set_value_is_stripped_and_wins():
    assert text({"PIPELINE_TOPIC": "  users  "}, "PIPELINE_TOPIC") == "users"


@pytest.mark.parametrize("env", [{}, {"PIPELINE_TOPIC": ""}, {"PIPELINE_TOPIC": "   "}])
def test_unset_or_blank_means_the_declared_default(env):
    assert text(env, "PIPELINE_TOPIC") == VARIABLES["PIPELINE_TOPIC"].default == "users_created"


def test_a_default_that_names_another_variable_follows_its_value():
    assert text({}, "PIPELINE_DLQ_TOPIC") == "users_created.dlq"
    assert text({"PIPELINE_TOPIC": "signups"}, "PIPELINE_DLQ_TOPIC") == "signups.dlq"
    assert declared_default({"PIPELINE_TOPIC": "signups"}, "PIPELINE_DLQ_TOPIC") == "signups.dlq"
    assert text({"PIPELINE_TOPIC": "signups", "PIPELINE_DLQ_TOPIC": "dead"}, "PIPELINE_DLQ_TOPIC") == "dead"


def test_a_required_variable_is_named_when_missing():
    assert declared_default({}, "PIPELINE_PG_DSN") is None
    with pytest.raises(ConfigError, match=r"^PIPELINE_PG_DSN is required but not set$"):
        text({"PIPELINE_PG_DSN": " "}, "PIPELINE_PG_DSN")


def test_reading_an_undeclared_variable_is_refused_even_when_set():
    with pytest.raises(LookupError, match=r"PIPELINE_NOPE is not declared in .*variables\.json"):
        text({"PIPELINE_NOPE": "x"}, "PIPELINE_NOPE")


@pytest.mark.parametrize(
    "raw, minimum, maximum, message",
    [
        ("ten", 1, None, "PIPELINE_BATCH_SIZE must be an integer, got 'ten'"),
        ("2.5", 1, None, "PIPELINE_BATCH_SIZE must be an integer, got '2.5'"),
        ("0", 1, None, "PIPELINE_BATCH_SIZE must be >= 1, got 0"),
        ("11", 1, 10, "PIPELINE_BATCH_SIZE must be >= 1 and <= 10, got 11"),
    ],
)
def test_integer_names_the_variable_and_its_bounds(raw, minimum, maximum, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        integer({"PIPELINE_BATCH_SIZE": raw}, "PIPELINE_BATCH_SIZE", minimum, maximum)


def test_integer_applies_the_default_and_accepts_the_bounds():
    assert integer({}, "PIPELINE_BATCH_SIZE", minimum=1) == 100
    assert integer({"PIPELINE_BATCH_SIZE": "10"}, "PIPELINE_BATCH_SIZE", 1, 10) == 10


@pytest.mark.parametrize("value", ["http://registry:8081", "https://registry.example/prefix/"])
def test_http_url_accepts_http_and_https(value):
    assert http_url({"PIPELINE_SCHEMA_REGISTRY_URL": value}, "PIPELINE_SCHEMA_REGISTRY_URL") == value


@pytest.mark.parametrize("value", ["registry:8081", "ftp://registry", "http://", "user:s3cret@registry"])
def test_http_url_refuses_anything_else_without_echoing_it(value):
    with pytest.raises(ConfigError) as error:
        http_url({"PIPELINE_SCHEMA_REGISTRY_URL": value}, "PIPELINE_SCHEMA_REGISTRY_URL")
    assert str(error.value) == "PIPELINE_SCHEMA_REGISTRY_URL must be an http(s) URL"


def test_a_broken_declaration_is_named(tmp_path):
    undeclared = tmp_path / "undeclared.json"
    undeclared.write_text(
        json.dumps(
            {
                "components": {"dag": "DAG"},
                "variables": [
                    {"name": "PIPELINE_X", "default": None, "readBy": ["cron"], "setByPlatform": True}
                ],
            }
        )
    )
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"components": {}, "variables": [{"name": "PIPELINE_X"}]}))

    with pytest.raises(RuntimeError, match=r"PIPELINE_X is read by undeclared components \['cron'\]"):
        environment._load(undeclared)
    with pytest.raises(RuntimeError, match=r"cannot read the variables' declaration .*incomplete\.json"):
        environment._load(incomplete)
    with pytest.raises(RuntimeError, match=r"cannot read the variables' declaration .*missing\.json"):
        environment._load(tmp_path / "missing.json")
