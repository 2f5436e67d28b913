"""The Schema Registry (Confluent's REST API) as the Python jobs read it: a subject's latest version, and
a schema by the id a message is framed with. The standard library only, so it runs in both images.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from pipeline_contract.environment import ConfigError
from pipeline_contract.schema import UserSchema, parse_user_schema


class RegistryError(RuntimeError):
    """The registry could not be read, or gave no usable schema; the message never holds the URL."""


def basic_auth_username(username: str, name: str) -> str:
    """`username` (read from `name`) as an HTTP basic user name: anything but a colon, which would end it."""
    if ":" in username:
        raise ConfigError(f"{name} must not contain ':', got {username!r}")
    return username


def with_login(registry_url: str, username: str, password: str) -> str:
    """The registry's URL with an HTTP basic login in it, the form the functions here take.

    The login becomes an Authorization header; no message names the URL.
    """
    parts = urlsplit(registry_url)
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return urlunsplit((parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment))


def value_subject(topic: str) -> str:
    """The subject of a topic's values (TopicNameStrategy), where the bootstrap job registers the schema."""
    return f"{topic}-value"


def latest_user_schema(registry_url: str, subject: str, timeout_seconds: float) -> UserSchema:
    """The latest version registered under subject, as a user record."""
    what = f"subject {subject!r}"
    body = _get(registry_url, f"/subjects/{quote(subject, safe='')}/versions/latest", what, timeout_seconds)
    if body is None:
        raise RegistryError(f"schema registry answered HTTP 404 for {what}: has the bootstrap job run?")
    try:
        return parse_user_schema(int(body["id"]), body["schema"])
    except (KeyError, TypeError, ValueError) as error:
        raise RegistryError(f"schema registry gave no usable Avro schema for {what}: {error}") from None


def schema_text(registry_url: str, schema_id: int, timeout_seconds: float) -> str | None:
    """The schema registered with this id, as the registry stores it; None when it knows no such id."""
    what = f"schema id {schema_id}"
    body = _get(registry_url, f"/schemas/ids/{schema_id}", what, timeout_seconds)
    if body is None:
        return None
    schema = body.get("schema") if isinstance(body, dict) else None
    if not isinstance(schema, str):
        raise RegistryError(f"schema registry gave no schema text for {what}")
    return schema


def _get(registry_url: str, path: str, what: str, timeout_seconds: float) -> Any:
    """The JSON body of a GET, or None for a 404. The URL may carry credentials: they become a header."""
    parts = urlsplit(registry_url)
    headers = {"Accept": "application/vnd.schemaregistry.v1+json, application/json"}
    if parts.username is not None:
        user_password = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(user_password.encode()).decode()
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + path, "", ""))
    try:
        with urlopen(Request(url, headers=headers), timeout=timeout_seconds) as response:
            return json.load(response)
    except HTTPError as error:
        if error.code == 404:
            return None
        raise RegistryError(f"schema registry answered HTTP {error.code} for {what}") from None
    except (URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryError(f"schema registry unreachable for {what}: {type(reason).__name__}") from None
    except ValueError as error:
        raise RegistryError(f"schema registry answered {what} with malformed JSON: {error}") from None
