"""A randomuser.me record as the API sends it, the row the pipeline makes of it, and the schema's versions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pipeline_contract import UserSchema, parse_user_schema

# What the bootstrap job registers; the jobs get it from the registry.
USER_SCHEMA_JSON = (Path(__file__).resolve().parent.parent / "jobs" / "schemas" / "user.avsc").read_text()
USER_SCHEMA = parse_user_schema(1, USER_SCHEMA_JSON)
USER_FIELDS = USER_SCHEMA.names


def evolved_schema(schema_id: int, *, add: tuple[dict, ...] = (), drop: tuple[str, ...] = ()) -> UserSchema:
    """A later version of the user schema: fields added at the end, fields dropped."""
    schema = json.loads(USER_SCHEMA_JSON)
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in drop] + list(add)
    return parse_user_schema(schema_id, json.dumps(schema))


# The compatible change of the end-to-end proof: a field with a default, read from the API's "nat".
NATIONALITY = {"name": "nationality", "type": "string", "default": "", "sourcePath": "nat"}

USER_ID = "6f1c3f1e-8b5a-4b8e-9a55-0d7c1c2f9a10"

_API_USER: dict[str, Any] = {
    "gender": "female",
    "name": {"title": "Ms", "first": "Ada", "last": "Lovelace"},
    "location": {
        "street": {"number": 4521, "name": "Marylebone Road"},
        "city": "London",
        "state": "Greater London",
        "country": "United Kingdom",
        "postcode": "NW1 5LR",
        "coordinates": {"latitude": "51.5", "longitude": "-0.15"},
        "timezone": {"offset": "+0:00", "description": "London"},
    },
    "email": "ada.lovelace@example.com",
    "login": {"uuid": USER_ID, "username": "countess42", "password": "engine"},
    "dob": {"date": "1815-12-10T08:00:00.000Z", "age": 36},
    "registered": {"date": "2015-06-01T12:00:00.000Z", "age": 10},
    "phone": "020 7946 0000",
    "cell": "07700 900000",
    "id": {"name": "NINO", "value": "AB 12 34 56 C"},
    "picture": {
        "large": "https://randomuser.me/api/portraits/women/1.jpg",
        "medium": "https://randomuser.me/api/portraits/med/women/1.jpg",
        "thumbnail": "https://randomuser.me/api/portraits/thumb/women/1.jpg",
    },
    "nat": "GB",
}

ROW = {
    "id": USER_ID,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "gender": "female",
    "address": "4521 Marylebone Road, London, Greater London, United Kingdom",
    "post_code": "NW1 5LR",
    "email": "ada.lovelace@example.com",
    "username": "countess42",
    "dob": "1815-12-10T08:00:00.000Z",
    "registered_date": "2015-06-01T12:00:00.000Z",
    "phone": "020 7946 0000",
    "picture": "https://randomuser.me/api/portraits/med/women/1.jpg",
}


DELETE = object()


def api_user(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh copy of the API record with changes: dotted path -> new value, or DELETE."""
    user = copy.deepcopy(_API_USER)
    for dotted, value in (changes or {}).items():
        *parents, leaf = dotted.split(".")
        node = user
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[leaf]
        else:
            node[leaf] = value
    return user
