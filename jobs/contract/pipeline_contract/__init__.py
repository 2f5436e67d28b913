"""The pipeline's contract as the Python jobs (the Airflow DAG and the Spark job) use it.

It is read from the files the TypeScript side reads too: the user record from jobs/schemas/user.avsc and
the environment variables from jobs/contract/variables.json (docs/pipeline.md describes both). The
constructs ship those files with this package, in the same layout as in the repository, so it finds
them beside itself wherever it runs.
"""

from pipeline_contract.dead_letter import RECORD_PREFIX_BYTES, canonical_json, dead_letter_value
from pipeline_contract.environment import (
    VARIABLES,
    ConfigError,
    Variable,
    declared_default,
    http_url,
    integer,
    text,
)
from pipeline_contract.record import (
    CONFLUENT_HEADER_BYTES,
    CONFLUENT_MAGIC_BYTE,
    USER_FIELDS,
    USER_SCHEMA_FILE,
    UUID_PATTERN,
    UUID_REGEX,
)

__all__ = [
    "CONFLUENT_HEADER_BYTES",
    "CONFLUENT_MAGIC_BYTE",
    "RECORD_PREFIX_BYTES",
    "USER_FIELDS",
    "USER_SCHEMA_FILE",
    "UUID_PATTERN",
    "UUID_REGEX",
    "VARIABLES",
    "ConfigError",
    "Variable",
    "canonical_json",
    "dead_letter_value",
    "declared_default",
    "http_url",
    "integer",
    "text",
]
