"""Pure DataFrame transforms for the users stream: Kafka rows in, Cassandra rows and DLQ messages out.

Input columns are those of Spark's Kafka source (key, value, topic, partition, offset, ...).
Nothing here reads or writes outside Spark, so the rules are testable on hand-made frames. The
schemas a batch is read with come from the registry (writer_schemas.py, on the driver).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, reduce

from pipeline_contract import (
    CONFLUENT_HEADER_BYTES,
    CONFLUENT_MAGIC_BYTE,
    RECORD_PREFIX_BYTES,
    UUID_REGEX,
    UserSchema,
)
from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

REASON_NO_HEADER = f"value shorter than the {CONFLUENT_HEADER_BYTES}-byte Confluent header"
REASON_WRONG_MAGIC = "wrong magic byte"
REASON_UNKNOWN_SCHEMA_ID = "unknown schema id"
REASON_UNREADABLE_SCHEMA = "writer schema not readable with the latest schema"
REASON_UNDECODABLE = "undecodable Avro"
REASON_INVALID_UTF8 = "invalid UTF-8 (such as a lone surrogate) in field"
REASON_NUL = "NUL character in field"
REASON_MISSING_FIELD = "missing or empty required field"
REASON_NOT_UUID = "id is not a UUID"

# The Kafka source's columns these transforms read: a classified batch is classified again from them.
SOURCE_COLUMNS = ("key", "value", "topic", "partition", "offset")

# to_json drops null fields by default; the DLQ shape keeps "field": null and absent values.
_JSON_KEEP_NULLS = {"ignoreNullFields": "false"}


def split_confluent_header(df: DataFrame) -> DataFrame:
    """Add magic_byte, schema_id (big-endian bytes 1-4) and body; all null without a full header."""
    return df.withColumns(_header_columns())


@cache
def _header_columns() -> dict[str, Column]:
    # coalesce: a null value (a tombstone) has no header either.
    has_header = F.coalesce(F.length("value"), F.lit(0)) >= CONFLUENT_HEADER_BYTES
    return {
        "magic_byte": F.when(has_header, _unsigned(F.substring("value", 1, 1)).cast("int")),
        "schema_id": F.when(has_header, _unsigned(F.substring("value", 2, 4))),
        "body": F.when(has_header, F.expr(f"substring(value, {CONFLUENT_HEADER_BYTES + 1})")),
    }


@dataclass(frozen=True)
class BatchSchemas:
    """The schemas one micro-batch is read with."""

    # The subject's latest version: the fields a row keeps, and the defaults of those a writer lacks.
    reader: UserSchema
    # The writer schema of each schema id in the batch that the registry knows and the reader resolves.
    writers: Mapping[int, str]
    # Ids in the batch that the registry knows but whose schema the reader cannot resolve (another record).
    unreadable: frozenset[int] = frozenset()


def decode_users(framed: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Add user, the record as the latest schema reads it, or null where it cannot be read.

    Each message is decoded with the schema that wrote it, resolved by Avro onto the reader: a field
    the reader does not know is dropped, a field the writer lacks takes the reader's default.
    PERMISSIVE turns a corrupt body into a record of all nulls instead of failing the batch; id is
    required, so no real record looks like that.
    """
    expressions = _expressions_of(schemas)
    return framed.withColumn("user", expressions.decoded).withColumn("user", expressions.readable)


def classify(decoded: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Add reason and field: both null for a valid row, else why the row goes to the DLQ."""
    expressions = _expressions_of(schemas)
    return (
        decoded.withColumns(expressions.failed_fields)
        .withColumn("reason", expressions.reason)
        .withColumn("field", expressions.field)
        .drop(*expressions.failed_fields)
    )


@dataclass(frozen=True)
class _Expressions:
    """decode_users' and classify's columns for one BatchSchemas.

    Built once per set of schemas and kept: building these columns (hundreds of calls into the JVM)
    cost the driver more than writing a small batch, and a stream meets few sets of schemas.
    """

    decoded: Column
    # decoded, or null where every field is null (a body PERMISSIVE could not read).
    readable: Column
    # The first field failing each check, by the check's column name.
    failed_fields: Mapping[str, Column]
    reason: Column
    field: Column


def _expressions_of(schemas: BatchSchemas) -> _Expressions:
    return _expressions(schemas.reader, tuple(sorted(schemas.writers.items())), schemas.unreadable)


@lru_cache(maxsize=8)
def _expressions(
    reader: UserSchema, writers: tuple[tuple[int, str], ...], unreadable: frozenset[int]
) -> _Expressions:
    options = {"mode": "PERMISSIVE", "avroSchema": reader.text}
    # Starts from a branch that never matches, so that user has the reader's type with no writer too.
    user = F.when(F.lit(False), from_avro(F.col("body"), reader.text, options))
    for schema_id, writer in writers:
        written_with = (F.col("magic_byte") == CONFLUENT_MAGIC_BYTE) & (F.col("schema_id") == schema_id)
        user = user.when(written_with, from_avro(F.col("body"), writer, options))
    all_null = reduce(operator.and_, (F.col(f"user.{name}").isNull() for name in reader.names))
    failed_fields = {
        "invalid_utf8_field": _first_field(reader.names, _invalid_utf8),
        "nul_field": _first_field(reader.names, lambda text: F.instr(text, "\u0000") > 0),
        "missing_field": _first_field(
            reader.required, lambda text: F.coalesce(F.trim(text), F.lit("")) == ""
        ),
    }
    known = frozenset(schema_id for schema_id, _ in writers)
    reason = (
        F.when(F.col("magic_byte").isNull(), REASON_NO_HEADER)
        .when(F.col("magic_byte") != CONFLUENT_MAGIC_BYTE, REASON_WRONG_MAGIC)
        .when(_among("schema_id", unreadable), REASON_UNREADABLE_SCHEMA)
        .when(~_among("schema_id", known), REASON_UNKNOWN_SCHEMA_ID)
        .when(F.col("user").isNull(), REASON_UNDECODABLE)
        .when(
            F.col("invalid_utf8_field").isNotNull(),
            F.concat(F.lit(f"{REASON_INVALID_UTF8}: "), F.col("invalid_utf8_field")),
        )
        .when(F.col("nul_field").isNotNull(), F.concat(F.lit(f"{REASON_NUL}: "), F.col("nul_field")))
        .when(
            F.col("missing_field").isNotNull(),
            F.concat(F.lit(f"{REASON_MISSING_FIELD}: "), F.col("missing_field")),
        )
        .when(~F.col("user.id").rlike(UUID_REGEX), REASON_NOT_UUID)
    )
    field = (
        F.when(F.col("reason") == REASON_NOT_UUID, F.lit("id"))
        .when(F.col("reason").startswith(REASON_INVALID_UTF8), F.col("invalid_utf8_field"))
        .when(F.col("reason").startswith(REASON_NUL), F.col("nul_field"))
        .when(F.col("reason").startswith(REASON_MISSING_FIELD), F.col("missing_field"))
    )
    return _Expressions(
        decoded=user,
        readable=F.when(~all_null, F.col("user")),
        failed_fields=failed_fields,
        reason=reason,
        field=field,
    )


def classify_users(framed: DataFrame, schemas: BatchSchemas) -> DataFrame:
    """Decode and classify split_confluent_header's output: the rows with user, reason and field added.

    Persist the result before taking valid_rows and dlq_messages from it: Spark pushes their
    filters below the projections, inlining the Avro decoding once per reference to user, which
    makes the plan huge and decodes each message dozens of times.
    """
    return classify(decode_users(framed, schemas), schemas)


def valid_rows(classified: DataFrame, columns: tuple[str, ...]) -> DataFrame:
    """The rows that passed every check, projected onto columns: the reader's fields the table has."""
    return classified.filter(F.col("reason").isNull()).select(*_user_fields(columns))


@lru_cache(maxsize=8)
def _user_fields(columns: tuple[str, ...]) -> tuple[Column, ...]:
    return tuple(F.col(f"user.{name}").alias(name) for name in columns)


@dataclass(frozen=True)
class Rejections:
    """What failed in a classified batch: a clean one needs no dead-letter write."""

    count: int
    # The schema ids of rows rejected as unknown: the registry may know them by now (a new version).
    unknown_schema_ids: tuple[int, ...]


def observe_rejections(classified: DataFrame) -> tuple[DataFrame, Callable[[], Rejections]]:
    """classified, with its rejections counted by the next action that reads it, and their getter.

    The count rides along with the rows' write (Spark's observed metrics), so a batch needs no job of
    its own to count them. The getter waits for that action: call it only once the action has run.
    """
    observation = Observation()
    observed = classified.observe(observation, *_rejection_metrics())

    def counted() -> Rejections:
        metrics = observation.get
        return Rejections(
            count=metrics["n"], unknown_schema_ids=tuple(sorted(json.loads(metrics["unknown"])))
        )

    return observed, counted


@cache
def _rejection_metrics() -> tuple[Column, ...]:
    rejected = F.col("reason").isNotNull()
    unknown = F.when(F.col("reason") == REASON_UNKNOWN_SCHEMA_ID, F.col("schema_id"))
    return (
        F.count(F.when(rejected, True)).alias("n"),
        # As JSON: an observed array comes back to Python as a JVM object.
        F.to_json(F.collect_set(unknown)).alias("unknown"),
    )


def dlq_messages(classified: DataFrame) -> DataFrame:
    """key and value of the dead-letter message for each rejected row (docs/pipeline.md).

    The value is capped as pipeline_contract.dead_letter caps it: the decoded record travels as JSON
    while that JSON is at most RECORD_PREFIX_BYTES and its text is valid UTF-8 (to_json would replace
    invalid bytes); otherwise the Kafka value does, as base64 of its first RECORD_PREFIX_BYTES bytes.
    size and sha256 are the whole value's, so no dead letter can outgrow a Kafka message.
    """
    invalid = classified.filter(F.col("reason").isNotNull()).withColumn(
        "decoded", F.to_json("user", _JSON_KEEP_NULLS)
    )
    as_json = (
        F.col("user").isNotNull()
        & ~F.col("reason").startswith(REASON_INVALID_UTF8)
        & (F.octet_length("decoded") <= RECORD_PREFIX_BYTES)
    )
    carried = invalid.withColumn("as_json", F.coalesce(as_json, F.lit(False)))
    envelope = F.to_json(
        F.struct(
            F.lit("stream").alias("stage"),
            F.col("reason"),
            F.col("field"),
            F.struct("topic", "partition", "offset").alias("source"),
            F.length("value").alias("size"),
            F.sha2("value", 256).alias("sha256"),
            (~F.col("as_json") & F.coalesce(F.length("value") > RECORD_PREFIX_BYTES, F.lit(False))).alias(
                "truncated"
            ),
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
    return carried.withColumn("envelope", envelope).select(key.alias("key"), value.alias("value"))


def _record_json() -> Column:
    """The decoded record as a JSON object, else the start of the raw value as a base64 JSON string."""
    # Spark may wrap base64 output in MIME lines (spark.sql.chunkBase64String.enabled); a JSON
    # string can't hold raw line breaks, and unwrapped base64 is the plain form anyway.
    prefix = F.expr(f"substring(value, 1, {RECORD_PREFIX_BYTES})")
    base64 = F.regexp_replace(F.base64(prefix), r"[\r\n]", "")
    return (
        F.when(F.col("as_json"), F.col("decoded"))
        .when(F.col("value").isNotNull(), F.concat(F.lit('"'), base64, F.lit('"')))
        .otherwise(F.lit("null"))
    )


def _among(column: str, ids: frozenset[int]) -> Column:
    """Whether the column is one of ids (false for none: Spark's IN needs at least one value)."""
    return F.col(column).isin(sorted(ids)) if ids else F.lit(False)


def _first_field(names: Sequence[str], test: Callable[[Column], Column]) -> Column:
    """The name of the first of the named user fields whose decoded value passes test, else null."""
    return F.coalesce(
        *(F.when(test(F.col(f"user.{name}")), F.lit(name)) for name in names), F.lit(None).cast("string")
    )


def _invalid_utf8(text: Column) -> Column:
    """Whether the string's bytes are not valid UTF-8 (a lone surrogate's, say).

    Spark keeps a string's bytes as they came (from_avro does not check them); encode goes through a
    Java string, which replaces each invalid sequence with U+FFFD, so it changes exactly those bytes.
    """
    return F.encode(text, "UTF-8") != text.cast("binary")


def _unsigned(big_endian: Column) -> Column:
    """Bytes as an unsigned big-endian integer (via hex: Spark has no byte-order cast)."""
    return F.conv(F.hex(big_endian), 16, 10).cast("long")
