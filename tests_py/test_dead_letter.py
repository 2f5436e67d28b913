"""The dead-letter envelope as the DAG builds it (pipeline_contract.dead_letter): capped, whatever the
record."""

import base64
import hashlib
import json

import pytest
from pipeline_contract import RECORD_PREFIX_BYTES, canonical_json, dead_letter_value
from samples import api_user

# Kafka's default message limit (the broker's message.max.bytes, about the producer's max.request.size).
KAFKA_DEFAULT_MESSAGE_BYTES = 1_048_588


def test_a_small_record_travels_whole_with_its_size_and_digest():
    raw = api_user({"email": ""})

    letter = json.loads(dead_letter_value("ingest", "empty email", "email", raw))

    assert letter == {
        "stage": "ingest",
        "reason": "empty email",
        "field": "email",
        "source": None,
        "size": len(canonical_json(raw)),
        "sha256": hashlib.sha256(canonical_json(raw)).hexdigest(),
        "truncated": False,
        "record": raw,
    }


def test_a_source_is_carried_when_given():
    source = {"topic": "users_created", "partition": 2, "offset": 41}

    letter = json.loads(dead_letter_value("stream", "undecodable Avro", None, "AAAA", source))

    assert letter["source"] == source
    assert letter["field"] is None


@pytest.mark.parametrize("size", [RECORD_PREFIX_BYTES + 1, 800_000, 5_000_000])
def test_a_large_record_is_cut_to_a_prefix_and_the_envelope_stays_small(size):
    raw = {"garbage": "é" * (size // 2)}  # two UTF-8 bytes a character: the cut may fall inside one
    whole = canonical_json(raw)

    value = dead_letter_value("ingest", "name.first is too long", "first_name", raw)

    letter = json.loads(value)
    assert letter["truncated"] is True
    assert base64.b64decode(letter["record"]) == whole[:RECORD_PREFIX_BYTES]
    assert (letter["size"], letter["sha256"]) == (len(whole), hashlib.sha256(whole).hexdigest())
    assert len(value) < 6_000
    assert len(value) < KAFKA_DEFAULT_MESSAGE_BYTES


def test_the_cap_is_on_the_records_bytes():
    fits = {"x": "a" * (RECORD_PREFIX_BYTES - len('{"x":""}'))}
    assert len(canonical_json(fits)) == RECORD_PREFIX_BYTES

    assert json.loads(dead_letter_value("ingest", "r", None, fits))["record"] == fits
    assert json.loads(dead_letter_value("ingest", "r", None, {"x": fits["x"] + "a"}))["truncated"] is True


def test_nul_and_lone_surrogates_make_valid_json_that_reads_back_as_sent():
    raw = {"first": "A\x00da", "last": "\ud800"}

    value = dead_letter_value("ingest", "r", "first_name", raw)

    value.decode("utf-8")  # valid UTF-8 on the wire
    assert json.loads(value)["record"] == raw
    assert canonical_json(raw) == b'{"first":"A\\u0000da","last":"\\ud800"}'
