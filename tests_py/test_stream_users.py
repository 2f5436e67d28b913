import pytest
from pipeline_contract import RegistryError
from samples import NATIONALITY, USER_SCHEMA_JSON, evolved_schema
from stream_users import avro_readable, with_retries


def test_registry_failures_are_tried_again_then_raised(monkeypatch):
    delays = []
    monkeypatch.setattr("stream_users.time.sleep", delays.append)
    answers = iter([RegistryError("down"), RegistryError("down"), "schema"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(call) == "schema"
    assert delays == [1.0, 2.0]
    with pytest.raises(RegistryError, match="still down"):
        with_retries(lambda: (_ for _ in ()).throw(RegistryError("still down")), attempts=3)
    assert delays == [1.0, 2.0, 1.0, 2.0]


def test_avro_in_the_jvm_says_which_writers_the_latest_schema_reads(spark):
    readable = avro_readable(spark)
    v2 = evolved_schema(2, add=(NATIONALITY,)).text
    without_default = evolved_schema(3, add=({"name": "nationality", "type": "string"},)).text
    other_record = USER_SCHEMA_JSON.replace('"name": "User"', '"name": "Customer"')

    assert readable(v2, USER_SCHEMA_JSON)
    assert readable(USER_SCHEMA_JSON, v2)  # the added field is ignored
    assert not readable(without_default, USER_SCHEMA_JSON)
    assert not readable(USER_SCHEMA_JSON, other_record)
    assert not readable(USER_SCHEMA_JSON, '{"type": "object"}')
