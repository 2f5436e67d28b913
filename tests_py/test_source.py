import socket

import pytest
from fakes import Reply
from pipeline.source import MAX_BACKOFF_SECONDS, SourceError, fetch_users
from samples import api_user

USERS = {"results": [api_user(), api_user({"email": "b@example.com"})], "info": {"results": 2}}


def fetch(url, retries=3, timeout=2.0):
    """fetch_users with a recorded, instant sleep so backoff is observable without waiting."""
    sleeps: list[float] = []
    return fetch_users(url, 2, timeout, retries, sleep=sleeps.append), sleeps


def test_asks_for_the_batch_size(http_server):
    server = http_server(Reply(200, USERS))

    users, sleeps = fetch(server.url + "/api/")

    assert users == USERS["results"]
    assert server.paths == ["/api/?results=2"]
    assert sleeps == []


def test_retries_5xx_with_exponential_backoff(http_server):
    server = http_server(Reply(503), Reply(500), Reply(502), Reply(200, USERS))

    users, sleeps = fetch(server.url, retries=3)

    assert users == USERS["results"]
    assert len(server.paths) == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_retries_429_too(http_server):
    server = http_server(Reply(429), Reply(200, USERS))

    users, sleeps = fetch(server.url)

    assert users == USERS["results"]
    assert sleeps == [1.0]


def test_gives_up_after_the_configured_retries(http_server):
    server = http_server(Reply(500))

    with pytest.raises(SourceError, match="failed after 3 attempts: HTTP 500"):
        fetch(server.url, retries=2)
    assert len(server.paths) == 3


def test_retries_a_timeout(http_server):
    server = http_server(Reply(200, USERS, delay_seconds=1.0), Reply(200, USERS))

    users, sleeps = fetch(server.url, timeout=0.2)

    assert users == USERS["results"]
    assert len(server.paths) == 2
    assert sleeps == [1.0]


def test_retries_a_refused_connection_then_fails_clearly():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(SourceError, match="failed after 2 attempts: ConnectionError"):
        fetch(f"http://127.0.0.1:{port}/", retries=1)


def test_backoff_is_capped():
    sleeps: list[float] = []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(SourceError):
        fetch_users(f"http://127.0.0.1:{port}/", 1, 1.0, 9, sleep=sleeps.append, backoff_seconds=1.0)
    assert sleeps == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        MAX_BACKOFF_SECONDS,
        MAX_BACKOFF_SECONDS,
        MAX_BACKOFF_SECONDS,
    ]


def test_malformed_json_is_a_clear_error_and_not_retried(http_server):
    server = http_server(Reply(200, '{"results": [ {"gender": '))

    with pytest.raises(SourceError, match="returned malformed JSON"):
        fetch(server.url)
    assert len(server.paths) == 1


@pytest.mark.parametrize("body", [{"info": {}}, {"results": "none"}, [1, 2]])
def test_json_without_a_results_list_is_rejected(http_server, body):
    server = http_server(Reply(200, body))

    with pytest.raises(SourceError, match="without a 'results' list"):
        fetch(server.url)


def test_the_apis_error_object_is_reported(http_server):
    server = http_server(Reply(200, {"error": "Uh oh, something has gone wrong."}))

    with pytest.raises(SourceError, match="returned an error: Uh oh"):
        fetch(server.url)


def test_a_4xx_is_not_retried(http_server):
    server = http_server(Reply(404, "not here"))

    with pytest.raises(SourceError, match="answered HTTP 404"):
        fetch(server.url)
    assert len(server.paths) == 1
