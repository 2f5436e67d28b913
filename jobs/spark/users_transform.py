"""Pure DataFrame transforms for the users stream: Kafka rows in, Cassandra rows and DLQ messages out.

Input columns are those of Spark's Kafka source (key, value, topic, partition, offset, ...).
Nothing here reads or writes outside Spark, so the rules are testable on hand-made frames. The
schemas a batch is read with come from the registry (writer_schemas.py, on the driver).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

from pipeline_contract import (
    CONFLUENT_HEADER_BYTES,
    CONFLUENT_MAGIC_BYTE,
    UUID_REGEX,
    UserSchema,
)
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

REASON_NO_HEADER = f"value shorter than the {CONFLUENT_HEADER_BYTES}-byte Confluent header"
REASON_WRONG_MAGIC = "wrong magic byte"
REASON_UNKNOWN_SCHEMA_ID = "unknown schema id"
REASON_UNREADABLE_SCHEMA = "writer schema not readable with the latest schema"
REASON_UNDECODABLE = "undecodable Avro"
REASON_MISSING_FIELD = "missing or empty required field"
REASON_NOT_UUID = "id is not a UUID"

# to_json drops null fields by default; the DLQ shape keeps "field": null and absent values.
_JSON_KEEP_NULLS = {"ignoreNullFields": "false"}


def split_confluent_header(df: DataFrame) -> DataFrame:
    """Add magic_byte, schema_id (big-endian bytes 1-4) and body; all null without a full header."""
    # coalesce: a null value (a tombstone) has no header either.
    has_header = F.coalesce(F.length("value"), F.lit(0)) >= CONFLUENT_HEADER_BYTES
    return df.withColumns(
        {
            "magic_byte": F.when(has_header, _unsigned(F.substring("value", 1, 1)).cast("int")),
            "schema_id": F.when(has_header, _unsigned(F.substring("value", 2, 4))),
            "body": F.when(has_header, F.expr(f"substring(value, {CONFLUENT_HEADER_BYTES + 1})")),
        }
    )


@dataclass(frozen=True)
class BatchSchemas:
    """The schemas one micro-batch is read with."""

    # The subject's latest version: the fields a row keeps, and the defaults of those a writer lacks.
    reader: UserSchema
    # The writer schema of each schema id in the batch that the registry knows and the reader resolves.
    writers: Mapping[int, str]
    # Ids in the batch that the registry knows but whose schema the reader cannot resolve (another record).
    unreadable: frozenset[int] = frozenset()


def framed_schema_ids(framed: DataFrame) -> list[int]:
    """The distinct schema ids of the Confluent-framed messages of split_confluent_header's output."""
    rows = framed.filter(F.col("magic_byte") == CONFLUENT_MAGIC_BYTE).select("schema_id").distinct().collect()
    return sorted(row.schema_id for row in rows)


def decode_users(framed: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Add user, the record as the latest schema reads it, or null where it cannot be read.

    Each message is decoded with the schema that wrote it, resolved by Avro onto the reader: a field
    the reader does not know is dropped, a field the writer lacks takes the reader's default.
    PERMISSIVE turns a corrupt body into a record of all nulls instead of failing the batch; id is
    required, so no real record looks like that.
    """
    options = {"mode": "PERMISSIVE", "avroSchema": schemas.reader.text}
    # Starts from a branch that never matches, so that user has the reader's type with no writer too.
    user = F.when(F.lit(False), from_avro(F.col("body"), schemas.reader.text, options))
    for schema_id, writer in sorted(schemas.writers.items()):
        written_with = (F.col("magic_byte") == CONFLUENT_MAGIC_BYTE) & (F.col("schema_id") == schema_id)
        user = user.when(written_with, from_avro(F.col("body"), writer, options))
    decoded = framed.withColumn("user", user)
    all_null = reduce(operator.and_, (F.col(f"user.{name}").isNull() for name in schemas.reader.names))
    return decoded.withColumn("user", F.when(~all_null, F.col("user")))


def classify(decoded: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Add reason and field: both null for a valid row, else why the row goes to the DLQ."""
    missing = F.coalesce(
        *(
            F.when(F.coalesce(F.trim(F.col(f"user.{name}")), F.lit("")) == "", F.lit(name))
            for name in schemas.reader.required
        ),
        F.lit(None).cast("string"),
    )
    with_missing = decoded.withColumn("missing_field", missing)
    reason = (
        F.when(F.col("magic_byte").isNull(), REASON_NO_HEADER)
        .when(F.col("magic_byte") != CONFLUENT_MAGIC_BYTE, REASON_WRONG_MAGIC)
        .when(_among("schema_id", schemas.unreadable), REASON_UNREADABLE_SCHEMA)
        .when(~_among("schema_id", schemas.writers), REASON_UNKNOWN_SCHEMA_ID)
        .when(F.col("user").isNull(), REASON_UNDECODABLE)
        .when(
            F.col("missing_field").isNotNull(),
            F.concat(F.lit(f"{REASON_MISSING_FIELD}: "), F.col("missing_field")),
        )
        .when(~F.col("user.id").rlike(UUID_REGEX), REASON_NOT_UUID)
    )
    field = F.when(F.col("reason") == REASON_NOT_UUID, F.lit("id")).when(
        F.col("reason").startswith(REASON_MISSING_FIELD), F.col("missing_field")
    )
    return with_missing.withColumn("reason", reason).withColumn("field", field).drop("missing_field")


def classify_users(framed: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Decode and classify split_confluent_header's output: the rows with user, reason and field added.

    Persist the result before taking valid_rows and dlq_messages from it: Spark pushes their
    filters below the projections, inlining the Avro decoding once per reference to user, which
    makes the plan huge and decodes each message dozens of times.
    """
    return classify(decode_users(framed, schemas), schemas)


def valid_rows(classified: DataFrame, columns: tuple[str, ...]) -> DataFrame:
    """The rows that passed every check, projected onto columns: the reader's fields the table has."""
    return classified.filter(F.col("reason").isNull()).select(
        *(F.col(f"user.{name}").alias(name) for name in columns)
    )


def dlq_messages(classified: DataFrame) -> DataFrame:
    """key and value of the dead-letter message for each rejected row (docs/pipeline.md)."""
    invalid = classified.filter(F.col("reason").isNotNull())
    envelope = F.to_json(
        F.struct(
            F.lit("stream").alias("stage"),
            F.col("reason"),
            F.col("field"),
            F.struct("topic", "partition", "offset").alias("source"),
        ),
        _JSON_KEEP_NULLS,
    )
    # "record" is a JSON object or a string, which no single Spark type serialises to, so it is
    # spliced in before the envelope's closing brace.
    value = F.concat(
        F.expr("substring(envelope, 1, length(envelope) - 1)"),
        F.lit(',"record":'),
        _record_json(),
        F.lit("}"),
    )
    # The producer keys by user id, so the incoming key is the id when the body can't be read.
    known_id = F.when(F.trim(F.col("user.id")) != "", F.col("user.id"))
    key = F.coalesce(known_id, F.col("key").cast("string"))
    return invalid.withColumn("envelope", envelope).select(key.alias("key"), value.alias("value"))


def _record_json() -> Column:
    """The decoded record as a JSON object, else the raw value as a base64 JSON string."""
    # Spark may wrap base64 output in MIME lines (spark.sql.chunkBase64String.enabled); a JSON
    # string can't hold raw line breaks, and unwrapped base64 is the plain form anyway.
    base64 = F.regexp_replace(F.base64("value"), r"[\r\n]", "")
    return (
        F.when(F.col("user").isNotNull(), F.to_json("user", _JSON_KEEP_NULLS))
        .when(F.col("value").isNotNull(), F.concat(F.lit('"'), base64, F.lit('"')))
        .otherwise(F.lit("null"))
    )


def _among(column: str, ids: Mapping[int, str] | frozenset[int]) -> Column:
    """Whether the column is one of ids (false for none: Spark's IN needs at least one value)."""
    return F.col(column).isin(sorted(ids)) if ids else F.lit(False)


def _unsigned(big_endian: Column) -> Column:
    """Bytes as an unsigned big-endian integer (via hex: Spark has no byte-order cast)."""
    return F.conv(F.hex(big_endian), 16, 10).cast("long")
