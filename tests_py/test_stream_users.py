import pytest
from fakes import Reply
from samples import USER_SCHEMA_JSON
from stream_users import fetch_latest_schema


def test_latest_schema_comes_from_the_registry(http_server):
    server = http_server(
        Reply(200, {"subject": "users_created-value", "version": 1, "id": 3, "schema": USER_SCHEMA_JSON})
    )

    assert fetch_latest_schema(server.url, "users_created-value") == (3, USER_SCHEMA_JSON)
    assert server.paths == ["/subjects/users_created-value/versions/latest"]


@pytest.mark.parametrize(
    "reply", [Reply(404, {"error_code": 40401}), Reply(200, "{broken"), Reply(200, {"id": 3})]
)
def test_a_missing_or_unusable_schema_stops_the_job_with_the_subject_named(http_server, reply):
    server = http_server(reply)

    with pytest.raises(RuntimeError, match="no usable latest schema for subject 'users_created-value'"):
        fetch_latest_schema(server.url, "users_created-value")
