"""pipeline_contract.registry: the latest version of a subject, and schemas by id, over HTTP."""

import base64

import pytest
from fakes import Reply
from pipeline_contract import RegistryError, latest_user_schema, schema_text, value_subject
from samples import USER_FIELDS, USER_SCHEMA_JSON


def test_the_subject_of_a_topic_is_its_value_subject():
    assert value_subject("users_created") == "users_created-value"


def test_the_latest_version_comes_from_the_subject(http_server):
    server = http_server(
        Reply(200, {"subject": "users_created-value", "version": 3, "id": 12, "schema": USER_SCHEMA_JSON})
    )

    schema = latest_user_schema(server.url + "/", "users_created-value", 2.0)

    assert (schema.schema_id, schema.text, schema.names) == (12, USER_SCHEMA_JSON, USER_FIELDS)
    assert server.paths == ["/subjects/users_created-value/versions/latest"]


def test_a_schema_comes_by_its_id_and_an_unknown_id_is_none(http_server):
    known = http_server(Reply(200, {"schema": USER_SCHEMA_JSON}))
    unknown = http_server(Reply(404, {"error_code": 40403, "message": "Schema 99 not found."}))

    assert schema_text(known.url, 7, 2.0) == USER_SCHEMA_JSON
    assert known.paths == ["/schemas/ids/7"]
    assert schema_text(unknown.url, 99, 2.0) is None


def test_credentials_in_the_url_become_a_basic_auth_header_and_never_reach_an_error(http_server):
    server = http_server(Reply(500, {"error_code": 50001}))
    url_with_password = server.url.replace("http://", "http://user:s3cret@")

    with pytest.raises(RegistryError, match="HTTP 500 for subject 'users_created-value'") as error:
        latest_user_schema(url_with_password, "users_created-value", 2.0)

    assert "s3cret" not in str(error.value)
    assert server.headers[-1]["Authorization"] == "Basic " + base64.b64encode(b"user:s3cret").decode()


def test_a_missing_subject_asks_whether_the_bootstrap_job_ran(http_server):
    server = http_server(Reply(404, {"error_code": 40401}))

    with pytest.raises(
        RegistryError, match="HTTP 404 for subject 'users_created-value': has the bootstrap job run"
    ):
        latest_user_schema(server.url, "users_created-value", 2.0)


@pytest.mark.parametrize(
    "body",
    [{"id": 1}, {"id": 1, "schema": "{not json"}, {"id": 1, "schema": '{"type": "nope"}'}, "{broken"],
)
def test_an_unusable_answer_is_a_clear_error(http_server, body):
    server = http_server(Reply(200, body))

    with pytest.raises(RegistryError, match="subject 'users_created-value'"):
        latest_user_schema(server.url, "users_created-value", 2.0)


def test_an_unreachable_registry_is_named_without_the_url():
    with pytest.raises(RegistryError, match=r"^schema registry unreachable for schema id 3: \w+"):
        schema_text("http://127.0.0.1:9", 3, 2.0)
