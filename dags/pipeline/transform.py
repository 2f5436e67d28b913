"""Pure functions from a raw randomuser.me record to what the pipeline stores and sends.

Nothing here does I/O, so every rule of the contract (docs/pipeline.md) is testable alone.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import fastavro
from pipeline_contract import (
    CONFLUENT_MAGIC_BYTE,
    UUID_PATTERN,
    UserField,
    canonical_json,
    declared_default,
)

# Where each flat field of the first schema version lives in the API's nested record (address is
# assembled separately). A field added later names its path in the schema (its sourcePath attribute).
_SOURCE_PATHS = {
    "id": ("login", "uuid"),
    "first_name": ("name", "first"),
    "last_name": ("name", "last"),
    "gender": ("gender",),
    "post_code": ("location", "postcode"),
    "email": ("email",),
    "username": ("login", "username"),
    "dob": ("dob", "date"),
    "registered_date": ("registered", "date"),
    "phone": ("phone",),
    "picture": ("picture", "medium"),
}

# The API sends these as a number or a string; everything else must already be a string.
_NUMERIC_PATHS = {("location", "postcode"), ("location", "street", "number")}

_ADDRESS_PARTS = (
    ("location", "street", "number"),
    ("location", "street", "name"),
    ("location", "city"),
    ("location", "state"),
    ("location", "country"),
)

# Characters that the stores cannot hold: PostgreSQL text (and jsonb) refuses NUL, and a lone surrogate (from
# a JSON escape such as "\ud800") has no UTF-8 encoding, so neither PostgreSQL nor Avro can take it. In a
# Python str every surrogate is lone: json.loads joins escaped pairs into one character.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

# The declared default of PIPELINE_MAX_FIELD_LENGTH, for callers that do not pass the configured one.
DEFAULT_MAX_FIELD_LENGTH = int(declared_default({}, "PIPELINE_MAX_FIELD_LENGTH"))


@dataclass(frozen=True)
class Rejection:
    """Why a record cannot be stored: the Avro field at fault (None if none applies) and a reason."""

    field: str | None
    reason: str


@dataclass(frozen=True)
class RejectedRecord:
    record_hash: str
    field: str | None
    reason: str
    raw: Any


class _InvalidFieldError(Exception):
    """Internal short-circuit carrying the Rejection of the first failing field."""

    def __init__(self, rejection: Rejection):
        super().__init__(rejection.reason)
        self.rejection = rejection


def to_row(
    raw: Any, fields: Sequence[UserField], max_field_length: int = DEFAULT_MAX_FIELD_LENGTH
) -> dict[str, str | None] | Rejection:
    """Flatten one API record into a row of the registered schema's fields, or say why it can't be.

    No field may be longer than max_field_length characters (PIPELINE_MAX_FIELD_LENGTH).
    """
    if not isinstance(raw, Mapping):
        return Rejection(None, f"record is a {type(raw).__name__}, not a JSON object")
    try:
        row = {field.name: _field_value(raw, field, max_field_length) for field in fields}
    except _InvalidFieldError as invalid:
        return invalid.rejection
    if not UUID_PATTERN.match(row["id"]):
        return Rejection("id", f"login.uuid is not a UUID: {row['id']!r}")
    # Lower case is how PostgreSQL and Cassandra print a uuid, so Kafka keys match the stores.
    row["id"] = row["id"].lower()
    return row


def partition(
    raw_records: Iterable[Any],
    fields: Sequence[UserField],
    max_field_length: int = DEFAULT_MAX_FIELD_LENGTH,
) -> tuple[list[dict[str, str | None]], list[RejectedRecord]]:
    """Split a fetched batch into storable rows (of the schema's fields) and rejected records (their raw
    record made storable)."""
    rows: list[dict[str, str | None]] = []
    rejected: list[RejectedRecord] = []
    for raw in raw_records:
        result = to_row(raw, fields, max_field_length)
        if isinstance(result, Rejection):
            rejected.append(RejectedRecord(record_hash(raw), result.field, result.reason, storable(raw)))
        else:
            rows.append(result)
    return rows, rejected


def record_hash(raw: Any) -> str:
    """A content hash, independent of key order, so a re-fetched bad record is stored once."""
    return hashlib.sha256(canonical_json(raw)).hexdigest()


def storable(raw: Any) -> Any:
    """The record with each NUL and lone surrogate, in keys and values, written as its JSON escape text
    (the six characters \\u0000, \\ud800, ...), so that PostgreSQL's jsonb can hold the rejected record."""
    if isinstance(raw, str):
        return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", raw)
    if isinstance(raw, Mapping):
        return {storable(key): storable(value) for key, value in raw.items()}
    if isinstance(raw, list):
        return [storable(item) for item in raw]
    return raw


def user_id_of(raw: Any) -> str | None:
    """The API's login.uuid if it is a non-empty string, for keying the DLQ message."""
    try:
        value = _lookup(raw, ("login", "uuid"))
    except KeyError:
        return None
    return value if isinstance(value, str) and value.strip() else None


def encode_confluent(row: Mapping[str, str], schema_id: int, parsed_schema: Any) -> bytes:
    """Confluent framing: magic byte 0, the 4-byte big-endian schema id, then the Avro body."""
    body = io.BytesIO()
    fastavro.schemaless_writer(body, parsed_schema, dict(row))
    return struct.pack(">BI", CONFLUENT_MAGIC_BYTE, schema_id) + body.getvalue()


def _lookup(raw: Any, path: tuple[str, ...]) -> Any:
    value = raw
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise KeyError(".".join(path))
        value = value[key]
    return value


def _text_at(raw: Mapping[str, Any], field: str, path: tuple[str, ...], max_length: int) -> str:
    """The value at path as a non-blank, storable string of at most max_length characters (a number,
    where the API may send one)."""
    dotted = ".".join(path)
    try:
        value = _lookup(raw, path)
    except KeyError:
        raise _InvalidFieldError(Rejection(field, f"missing {dotted}")) from None
    # bool is an int subclass, but True is never a postcode.
    if path in _NUMERIC_PATHS and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _InvalidFieldError(Rejection(field, f"{dotted} must be a string, got {type(value).__name__}"))
    if not value.strip():
        raise _InvalidFieldError(Rejection(field, f"empty {dotted}"))
    _check_text(field, dotted, value)
    _check_length(field, dotted, value, max_length)
    return value


def _field_value(raw: Mapping[str, Any], field: UserField, max_length: int) -> str | None:
    """A required field must be at its path and not blank; an optional one takes its default when absent
    or blank."""
    if field.name == "address" and field.source_path is None:
        return _address(raw, max_length)
    path = field.source_path or _SOURCE_PATHS.get(field.name)
    if field.required:
        if path is None:
            raise _InvalidFieldError(
                Rejection(field.name, f"the schema gives required field {field.name} no sourcePath")
            )
        return _text_at(raw, field.name, path, max_length)
    try:
        value = None if path is None else _lookup(raw, path)
    except KeyError:
        value = None
    blank = value is None or (isinstance(value, str) and not value.strip())
    return field.default if blank else _text_at(raw, field.name, path, max_length)


def _address(raw: Mapping[str, Any], max_length: int) -> str:
    number, street, city, state, country = (
        _text_at(raw, "address", path, max_length) for path in _ADDRESS_PARTS
    )
    address = f"{number} {street}, {city}, {state}, {country}"
    _check_length("address", "the address assembled from location", address, max_length)
    return address


def _check_text(field: str, dotted: str, value: str) -> None:
    """Reject text that the stores cannot hold, naming the first such character and where it is."""
    unstorable = _UNSTORABLE.search(value)
    if unstorable:
        code_point = ord(unstorable.group())
        what = (
            "a NUL character (U+0000), which PostgreSQL cannot store"
            if code_point == 0
            else f"a lone surrogate (U+{code_point:04X}), which UTF-8 cannot encode"
        )
        reason = f"{dotted} contains {what}, at character {unstorable.start()}"
        raise _InvalidFieldError(Rejection(field, reason))


def _check_length(field: str, dotted: str, value: str, max_length: int) -> None:
    if len(value) > max_length:
        limit = f"the limit of {max_length} (PIPELINE_MAX_FIELD_LENGTH)"
        reason = f"{dotted} is {len(value)} characters long, over {limit}"
        raise _InvalidFieldError(Rejection(field, reason))
