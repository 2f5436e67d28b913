"""The user record: its fields, from the Avro schema, the rule for its id, and the Confluent framing."""

from __future__ import annotations

import json
import re
from pathlib import Path

# jobs/schemas/user.avsc, from jobs/contract/pipeline_contract/ (the containers keep that layout).
USER_SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "user.avsc"


def _field_names(schema_file: Path) -> tuple[str, ...]:
    try:
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        return tuple(field["name"] for field in schema["fields"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"cannot read the user record's fields from {schema_file}: {error!r}") from None


# Field order of the schema; also the column names in PostgreSQL and Cassandra.
USER_FIELDS = _field_names(USER_SCHEMA_FILE)

# The canonical 8-4-4-4-12 form: the id is a uuid column in PostgreSQL and Cassandra. The DAG checks it
# before a row enters the outbox, the Spark job (as a Spark SQL regex) before a row reaches Cassandra.
UUID_REGEX = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UUID_PATTERN = re.compile(UUID_REGEX)

# Confluent framing: byte 0 is the magic byte, bytes 1-4 the big-endian schema id, then the Avro body.
CONFLUENT_MAGIC_BYTE = 0
CONFLUENT_HEADER_BYTES = 5
