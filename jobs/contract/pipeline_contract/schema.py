"""The user record's schema as the registry holds it: its fields, and what each one asks of a record.

At run time the registry is the one source of the schema (docs/pipeline.md, "Schema evolution"): the DAG
stores and publishes the fields of the subject's latest version, and the Spark job reads each message
with the version that wrote it and keeps the fields of the latest one. jobs/schemas/user.avsc reaches
only the bootstrap job, which checks it and registers it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# The names become unquoted SQL and CQL columns, which both fold to lower case (the bootstrap job
# refuses other names before registering).
_COLUMN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# An Avro field attribute of ours: where the DAG finds the field in a randomuser.me record, as a
# dotted path ("nat", "location.timezone.offset"). Avro keeps attributes it does not know.
SOURCE_PATH_ATTRIBUTE = "sourcePath"


class SchemaError(ValueError):
    """A registered schema that is not a user record the pipeline can store; the message says why."""


@dataclass(frozen=True)
class UserField:
    name: str
    has_default: bool
    # The Avro default when there is one (None for a null default, or for no default).
    default: str | None
    # A union with null: the value may be null.
    nullable: bool
    source_path: tuple[str, ...] | None

    @property
    def required(self) -> bool:
        """Every version of the record carries it and it may not be blank: no default, not nullable."""
        return not self.has_default and not self.nullable


@dataclass(frozen=True)
class UserSchema:
    schema_id: int
    # As the registry gave it: the writer schema of every message framed with schema_id.
    text: str
    fields: tuple[UserField, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields if field.required)


def parse_user_schema(schema_id: int, text: str) -> UserSchema:
    """The user record's fields from a registered schema; a SchemaError names the id and the problem."""
    try:
        schema = json.loads(text)
    except ValueError as error:
        raise SchemaError(f"schema id {schema_id} is not JSON: {error}") from None
    if (
        not isinstance(schema, dict)
        or schema.get("type") != "record"
        or not isinstance(schema.get("fields"), list)
    ):
        raise SchemaError(f"schema id {schema_id} is not an Avro record")
    fields = tuple(_field(schema_id, entry) for entry in schema["fields"])
    if "id" not in (field.name for field in fields):
        raise SchemaError(f"schema id {schema_id} has no 'id' field, the key of every table")
    return UserSchema(schema_id, text, fields)


def _field(schema_id: int, entry: Any) -> UserField:
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not _COLUMN_NAME.match(name):
        raise SchemaError(
            f"schema id {schema_id}: field name {name!r} must be lower-case letters, digits and '_'"
        )
    source = entry.get(SOURCE_PATH_ATTRIBUTE)
    if source is not None and (not isinstance(source, str) or not all(source.split("."))):
        raise SchemaError(
            f"schema id {schema_id}: field {name!r} has {SOURCE_PATH_ATTRIBUTE} {source!r}, not a dotted path"
        )
    default = entry.get("default")
    if default is not None and not isinstance(default, str):
        raise SchemaError(
            f"schema id {schema_id}: field {name!r} has default {default!r}, not a string or null"
        )
    field_type = entry.get("type")
    return UserField(
        name=name,
        has_default="default" in entry,
        default=default,
        nullable=isinstance(field_type, list) and "null" in field_type,
        source_path=tuple(source.split(".")) if source else None,
    )
