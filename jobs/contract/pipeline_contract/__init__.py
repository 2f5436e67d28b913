"""The pipeline's contract as the Python jobs (the Airflow DAG and the Spark job) use it.

The environment variables are read from jobs/contract/variables.json, the file the TypeScript side reads
too, shipped beside this package. The user record's fields are not shipped: both jobs read them from the
Schema Registry at run time (schema.py, registry.py), so that a new schema version reaches them without
replacing their containers (docs/pipeline.md describes both).
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
    UUID_PATTERN,
    UUID_REGEX,
)
from pipeline_contract.registry import (
    RegistryError,
    basic_auth_username,
    latest_user_schema,
    schema_text,
    value_subject,
    with_login,
)
from pipeline_contract.schema import SchemaError, UserField, UserSchema, parse_user_schema

__all__ = [
    "CONFLUENT_HEADER_BYTES",
    "CONFLUENT_MAGIC_BYTE",
    "RECORD_PREFIX_BYTES",
    "UUID_PATTERN",
    "UUID_REGEX",
    "VARIABLES",
    "ConfigError",
    "RegistryError",
    "SchemaError",
    "UserField",
    "UserSchema",
    "Variable",
    "basic_auth_username",
    "canonical_json",
    "dead_letter_value",
    "declared_default",
    "http_url",
    "integer",
    "latest_user_schema",
    "parse_user_schema",
    "schema_text",
    "text",
    "value_subject",
    "with_login",
]
