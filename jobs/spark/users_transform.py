"""Pure DataFrame transforms for the users stream: Kafka rows in, Cassandra rows and DLQ messages out.

Input columns are those of Spark's Kafka source (key, value, topic, partition, offset, ...).
Nothing here reads or writes outside Spark, so the rules are testable on hand-made frames.
"""

from __future__ import annotations

import operator
from functools import reduce

from pipeline_contract import (
    CONFLUENT_HEADER_BYTES,
    CONFLUENT_MAGIC_BYTE,
    USER_FIELDS,
    UUID_REGEX,
)
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

REASON_NO_HEADER = f"value shorter than the {CONFLUENT_HEADER_BYTES}-byte Confluent header"
REASON_WRONG_MAGIC = "wrong magic byte"
REASON_UNKNOWN_SCHEMA_ID = "unknown schema id"
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


def decode_users(df: DataFrame, schema_id: int, schema_json: str) -> DataFrame:
    """Add user, the decoded record, or null where the header or the Avro body is wrong.

    The body can only be read with the schema it was written with, so only messages framed with
    schema_id are decoded. PERMISSIVE turns a corrupt body into a record of all nulls instead of
    failing the batch; every field of the contract is required, so no real record looks like that.
    """
    framed_for_us = (F.col("magic_byte") == CONFLUENT_MAGIC_BYTE) & (F.col("schema_id") == schema_id)
    decoded = df.withColumn(
        "user", F.when(framed_for_us, from_avro(F.col("body"), schema_json, {"mode": "PERMISSIVE"}))
    )
    all_null = reduce(operator.and_, (F.col(f"user.{name}").isNull() for name in USER_FIELDS))
    return decoded.withColumn("user", F.when(~all_null, F.col("user")))


def classify(df: DataFrame, schema_id: int) -> DataFrame:
    """Add reason and field: both null for a valid row, else why the row goes to the DLQ."""
    missing = F.coalesce(
        *(
            F.when(F.coalesce(F.trim(F.col(f"user.{name}")), F.lit("")) == "", F.lit(name))
            for name in USER_FIELDS
        )
    )
    with_missing = df.withColumn("missing_field", missing)
    reason = (
        F.when(F.col("magic_byte").isNull(), REASON_NO_HEADER)
        .when(F.col("magic_byte") != CONFLUENT_MAGIC_BYTE, REASON_WRONG_MAGIC)
        .when(F.col("schema_id") != schema_id, REASON_UNKNOWN_SCHEMA_ID)
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


def classify_users(kafka_df: DataFrame, schema_id: int, schema_json: str) -> DataFrame:
    """Header, decode, classify: the Kafka rows with user, reason and field added.

    Persist the result before taking valid_rows and dlq_messages from it: Spark pushes their
    filters below the projections, inlining the Avro decoding once per reference to user, which
    makes the plan huge and decodes each message dozens of times.
    """
    return classify(decode_users(split_confluent_header(kafka_df), schema_id, schema_json), schema_id)


def valid_rows(classified: DataFrame) -> DataFrame:
    """Exactly the Cassandra table's columns, for the rows that passed every check."""
    return classified.filter(F.col("reason").isNull()).select(
        *(F.col(f"user.{name}").alias(name) for name in USER_FIELDS)
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


def _unsigned(big_endian: Column) -> Column:
    """Bytes as an unsigned big-endian integer (via hex: Spark has no byte-order cast)."""
    return F.conv(F.hex(big_endian), 16, 10).cast("long")
