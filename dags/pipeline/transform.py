"""Pure functions from a raw randomuser.me record to what the pipeline stores and sends.

Nothing here does I/O, so every rule of the contract (docs/pipeline.md) is testable alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import fastavro
from pipeline_contract import CONFLUENT_MAGIC_BYTE, UUID_PATTERN, UserField

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


def to_row(raw: Any, fields: Sequence[UserField]) -> dict[str, str | None] | Rejection:
    """Flatten one API record into a row of the registered schema's fields, or say why it can't be."""
    if not isinstance(raw, Mapping):
        return Rejection(None, f"record is a {type(raw).__name__}, not a JSON object")
    try:
        row = {field.name: _field_value(raw, field) for field in fields}
    except _InvalidFieldError as invalid:
        return invalid.rejection
    if not UUID_PATTERN.match(row["id"]):
        return Rejection("id", f"login.uuid is not a UUID: {row['id']!r}")
    # Lower case is how PostgreSQL and Cassandra print a uuid, so Kafka keys match the stores.
    row["id"] = row["id"].lower()
    return row


def partition(
    raw_records: Iterable[Any], fields: Sequence[UserField]
) -> tuple[list[dict[str, str | None]], list[RejectedRecord]]:
    """Split a fetched batch into storable rows (of the schema's fields) and rejected records."""
    rows: list[dict[str, str | None]] = []
    rejected: list[RejectedRecord] = []
    for raw in raw_records:
        result = to_row(raw, fields)
        if isinstance(result, Rejection):
            rejected.append(RejectedRecord(record_hash(raw), result.field, result.reason, raw))
        else:
            rows.append(result)
    return rows, rejected


def record_hash(raw: Any) -> str:
    """A content hash, independent of key order, so a re-fetched bad record is stored once."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def user_id_of(raw: Any) -> str | None:
    """The API's login.uuid if it is a non-empty string, for keying the DLQ message."""
    try:
        value = _lookup(raw, ("login", "uuid"))
    except KeyError:
        return None
    return value if isinstance(value, str) and value.strip() else None


def dlq_payload(
    stage: str,
    reason: str,
    field: str | None,
    record: Any,
    source: Mapping[str, Any] | None = None,
) -> bytes:
    """The dead-letter message value, in the shape docs/pipeline.md fixes."""
    return json.dumps(
        {"stage": stage, "reason": reason, "field": field, "record": record, "source": source},
        ensure_ascii=False,
    ).encode("utf-8")


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


def _text_at(raw: Mapping[str, Any], field: str, path: tuple[str, ...]) -> str:
    """The value at path as a non-blank string (a number, where the API may send one)."""
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
    return value


def _field_value(raw: Mapping[str, Any], field: UserField) -> str | None:
    """A required field must be at its path and not blank; an optional one takes its default when absent
    or blank."""
    if field.name == "address" and field.source_path is None:
        return _address(raw)
    path = field.source_path or _SOURCE_PATHS.get(field.name)
    if field.required:
        if path is None:
            raise _InvalidFieldError(
                Rejection(field.name, f"the schema gives required field {field.name} no sourcePath")
            )
        return _text_at(raw, field.name, path)
    try:
        value = None if path is None else _lookup(raw, path)
    except KeyError:
        value = None
    blank = value is None or (isinstance(value, str) and not value.strip())
    return field.default if blank else _text_at(raw, field.name, path)


def _address(raw: Mapping[str, Any]) -> str:
    number, street, city, state, country = (_text_at(raw, "address", path) for path in _ADDRESS_PARTS)
    return f"{number} {street}, {city}, {state}, {country}"
