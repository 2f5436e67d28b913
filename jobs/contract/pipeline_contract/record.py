"""The user record's id rule and the Confluent framing. Its fields come from the registry (schema.py)."""

from __future__ import annotations

import re

# The canonical 8-4-4-4-12 form: the id is a uuid column in PostgreSQL and Cassandra. The DAG checks it
# before a row enters the outbox, the Spark job (as a Spark SQL regex) before a row reaches Cassandra.
UUID_REGEX = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UUID_PATTERN = re.compile(UUID_REGEX)

# Confluent framing: byte 0 is the magic byte, bytes 1-4 the big-endian schema id, then the Avro body.
CONFLUENT_MAGIC_BYTE = 0
CONFLUENT_HEADER_BYTES = 5
