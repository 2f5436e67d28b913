"""Spark Structured Streaming job: the users topic (Confluent-framed Avro) → Cassandra; rows that
fail a check → the dead-letter topic. The I/O lives here; the rules live in users_transform.

The Kafka, Avro and Cassandra connectors are on the classpath of the platform's Spark image
(constructs/spark-image.ts, versions in constructs/versions.ts), so spark-submit resolves nothing.
The sibling modules (beside this file) and pipeline_contract (jobs/contract, on PYTHONPATH) are
imported on the driver only: every transform is a Spark SQL expression, with no Python UDF, so
executors need none of this Python code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from pipeline_contract import RegistryError, latest_user_schema, schema_text, with_login
from py4j.protocol import Py4JJavaError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery
from stream_config import StreamConfig, kafka_login_options, load_stream_config, registry_login
from users_transform import (
    SOURCE_COLUMNS,
    BatchSchemas,
    Rejections,
    classify_users,
    dlq_messages,
    observe_rejections,
    split_confluent_header,
    valid_rows,
)
from writer_schemas import TableColumns, WriterSchemas

log = logging.getLogger("stream_users")

REGISTRY_TIMEOUT_SECONDS = 10
# A registry that stays away longer fails the batch: the driver exits, Docker restarts it, and it
# resumes from its checkpoint.
REGISTRY_ATTEMPTS = 5
# The driver starts beside the bootstrap job rather than after it (its SparkContext takes 20 to 35 s
# on this host): it waits this long for the subject, which the bootstrap registers last, after the
# topics and the table. A driver that gives up exits; Docker starts it again.
SUBJECT_WAIT_SECONDS = 300.0
# Names the query in Spark's UI and in the driver's streaming metrics, which the monitoring's rules and
# console read (metrics_users_stream_driver_spark_streaming_<name>_*: constructs/assets/prometheus/).
QUERY_NAME = "users_to_cassandra"

T = TypeVar("T")


def with_retries(call: Callable[[], T], attempts: int = REGISTRY_ATTEMPTS, first_delay: float = 1.0) -> T:
    """call(), tried again after 1, 2, 4, ... s while the registry fails; the last failure is raised."""
    for attempt in range(1, attempts):
        try:
            return call()
        except RegistryError as error:
            delay = first_delay * 2 ** (attempt - 1)
            log.warning("%s; trying again in %.0f s", error, delay)
            time.sleep(delay)
    return call()


def until_available(
    call: Callable[[], T],
    what: str,
    wait_seconds: float = SUBJECT_WAIT_SECONDS,
    poll_seconds: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """call(), tried every poll_seconds while the registry fails (the subject not there yet included),
    for at most wait_seconds; then the last failure is raised, naming what was awaited."""
    deadline = clock() + wait_seconds
    waited = False
    while True:
        try:
            return call()
        except RegistryError as error:
            if clock() >= deadline:
                raise RegistryError(f"{error} (waited {wait_seconds:.0f} s for {what})") from None
            if not waited:
                log.info("waiting for %s: %s", what, error)
                waited = True
            time.sleep(poll_seconds)


def avro_readable(spark: SparkSession) -> Callable[[str, str], bool]:
    """Whether Avro (the JVM's, as from_avro uses it) resolves data written with writer onto reader."""
    avro = spark.sparkContext._jvm.org.apache.avro

    def readable(reader: str, writer: str) -> bool:
        try:
            result = avro.SchemaCompatibility.checkReaderWriterCompatibility(
                avro.Schema.Parser().parse(reader), avro.Schema.Parser().parse(writer)
            )
        except Py4JJavaError:
            return False  # not an Avro schema at all (the registry also holds JSON and Protobuf ones)
        return result.getType().name() == "COMPATIBLE"

    return readable


def cassandra_columns(spark: SparkSession, config: StreamConfig) -> frozenset[str]:
    """The table's columns, from the connector's metadata (no Spark job runs)."""
    table = (
        spark.read.format("org.apache.spark.sql.cassandra")
        .options(keyspace=config.cassandra_keyspace, table=config.cassandra_table)
        .load()
    )
    return frozenset(table.columns)


@dataclass(frozen=True)
class BatchSinks:
    """Where a batch goes: its valid users, and the dead-letter messages of the rows that failed a check."""

    write_rows: Callable[[DataFrame], None]
    write_dead_letters: Callable[[DataFrame], None]


def platform_sinks(config: StreamConfig, kafka_login: Mapping[str, str]) -> BatchSinks:
    """Cassandra's table and the dead-letter topic (written with the job's Kafka login options)."""

    def write_rows(rows: DataFrame) -> None:
        # Upserts by id, so a batch replayed after a crash changes nothing.
        (
            rows.write.format("org.apache.spark.sql.cassandra")
            .options(keyspace=config.cassandra_keyspace, table=config.cassandra_table)
            .mode("append")
            .save()
        )

    def write_dead_letters(messages: DataFrame) -> None:
        # A replayed batch re-sends its dead letters: the DLQ is at least once.
        (
            messages.write.format("kafka")
            .option("kafka.bootstrap.servers", config.kafka_bootstrap_servers)
            .options(**kafka_login)
            .option("topic", config.dlq_topic)
            .save()
        )

    return BatchSinks(write_rows=write_rows, write_dead_letters=write_dead_letters)


@dataclass(frozen=True)
class QueryReading:
    """The schemas a query decodes its batches with, and the flag a batch raises when they are outdated."""

    schemas: BatchSchemas
    # Set by a batch that met a schema id the registry knows and the query does not decode.
    outdated: threading.Event = field(default_factory=threading.Event)
    # The ids of the batches that set it: the query is stopped once Spark has committed them.
    flagged_batches: list[int] = field(default_factory=list)

    def flag(self, batch_id: int) -> None:
        self.flagged_batches.append(batch_id)
        self.outdated.set()


def write_batch(
    batch: DataFrame,
    batch_id: int,
    reading: QueryReading,
    schemas: WriterSchemas,
    columns: TableColumns,
    sinks: BatchSinks,
) -> None:
    """Writes a batch the query classified with reading.schemas: its valid rows, then its dead letters.

    The query decodes with the schemas of the ids met before it started, so a batch needs no pass of its
    own to collect its ids, and the driver builds the classification once per query, not once per batch
    (Spark still plans each batch's execution; this function gets the batch's rows already classified).
    A batch whose ids rejected as unknown the registry knows by now (a producer moved to a new version)
    is read again with them from its source columns, and its rows written again: the writes are upserts
    by id, and the reader may have moved with the new id. Its dead letters are written once, after that,
    and the query is flagged for a restart with the new schemas (run_queries).
    """
    started = time.monotonic()

    def write_rows(classified: DataFrame, batch_schemas: BatchSchemas) -> Rejections:
        """Writes the classified batch's valid rows, and counts its rejections on the way."""
        observed, counted = observe_rejections(classified)
        sinks.write_rows(valid_rows(observed, columns.for_reader(batch_schemas.reader)))
        return counted()

    # Neither read is persisted: each write reads the batch from Kafka, so one with dead letters reads it
    # twice, and the batches without (most) cache nothing.
    batch_schemas, classified = reading.schemas, batch
    rejected = write_rows(classified, batch_schemas)
    first_pass = time.monotonic()
    if rejected.unknown_schema_ids:
        met = [*batch_schemas.writers, *batch_schemas.unreadable]
        learned = schemas.for_batch([*met, *rejected.unknown_schema_ids])
        if learned != batch_schemas:
            batch_schemas = learned
            classified = classify_users(split_confluent_header(batch.select(*SOURCE_COLUMNS)), learned)
            rejected = write_rows(classified, batch_schemas)
    rows_written = time.monotonic()
    # A Kafka write of nothing still runs a job and its commit: most batches have no dead letter.
    if rejected.count:
        # Through an observation, as the rows: it keeps the decoding out of the dead letters' filter.
        sinks.write_dead_letters(dlq_messages(observe_rejections(classified)[0]))
    if batch_schemas != reading.schemas:
        reading.flag(batch_id)
    done = time.monotonic()
    log.info(
        "batch %d written (schema ids %s, %d dead letters) in %.0f ms: "
        "rows %.0f ms, new schema ids %.0f ms, dead letters %.0f ms",
        batch_id,
        sorted(batch_schemas.writers) or "none",
        rejected.count,
        (done - started) * 1000,
        (first_pass - started) * 1000,
        (rows_written - first_pass) * 1000,
        (done - rows_written) * 1000,
    )


def committed(query: StreamingQuery, batch_id: int) -> bool:
    """Whether the query has committed the batch, as its last progress report says.

    A progress report comes after the batch's commit. An idle trigger reports the id of the next batch with
    no input rows, so a report of batch_id itself counts only with rows.
    """
    progress = query.lastProgress
    if progress is None:
        return False
    return progress["batchId"] > batch_id or (
        progress["batchId"] == batch_id and progress["numInputRows"] > 0
    )


def ended(query: StreamingQuery) -> bool:
    """Whether the query has ended; raises its failure if it failed."""
    if query.isActive:
        return False
    query.awaitTermination()
    return True


def run_queries(
    start: Callable[[QueryReading], StreamingQuery],
    schemas: WriterSchemas,
    poll_seconds: float = 1.0,
    commit_timeout_seconds: float = 60.0,
) -> None:
    """Runs the stream's query, and starts it again with the schemas known by then whenever a batch
    flags it outdated; returns when a query ends, raising its failure.

    The query is stopped once Spark has committed the batch that flagged it, so the restart does not
    write that batch again (nor send its dead letters twice). A later batch the stop cuts short, or the
    flagged one if its commit takes longer than commit_timeout_seconds, is written again on restart, from
    the checkpoint: upserts by id, dead letters at least once, as after any crash.
    """
    while True:
        reading = QueryReading(schemas.known())
        query = start(reading)
        while not reading.outdated.wait(poll_seconds):
            if ended(query):
                return
        flagged, deadline = max(reading.flagged_batches), time.monotonic() + commit_timeout_seconds
        while not committed(query, flagged):
            if ended(query):
                return
            if time.monotonic() >= deadline:
                log.warning(
                    "batch %d not committed in %.0f s: stopping the query anyway",
                    flagged,
                    commit_timeout_seconds,
                )
                break
            time.sleep(min(poll_seconds, 0.1))
        query.stop()
        # Once stopped: no batch asks the registry meanwhile.
        log.info("restarting the query to decode schema ids %s", sorted(schemas.known().writers))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_stream_config()
    spark = (
        SparkSession.builder.appName("stream_users").config(map=config.cassandra_spark_conf()).getOrCreate()
    )
    login = registry_login(dict(spark.sparkContext.getConf().getAll()))
    registry, timeout = with_login(config.schema_registry_url, *login), REGISTRY_TIMEOUT_SECONDS
    fetch_latest = partial(latest_user_schema, registry, config.value_subject, timeout)
    schemas = WriterSchemas(
        fetch_latest=lambda: with_retries(fetch_latest),
        fetch_schema=lambda schema_id: with_retries(lambda: schema_text(registry, schema_id, timeout)),
        readable=avro_readable(spark),
    )
    # Read before the query starts: the latest version is what producers write with, so the first query
    # decodes it. The subject is registered last by the bootstrap job, so once it is there the topics
    # and the table are too; a registry without it after SUBJECT_WAIT_SECONDS stops the job, by name.
    until_available(
        fetch_latest,
        f"subject {config.value_subject!r}, which the bootstrap job registers",
    )
    schemas.for_batch([schemas.known().reader.schema_id])
    columns = TableColumns(partial(cassandra_columns, spark, config))
    kafka_login = kafka_login_options(dict(spark.sparkContext.getConf().getAll()))
    sinks = platform_sinks(config, kafka_login)
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", config.kafka_bootstrap_servers)
        .options(**kafka_login)
        .option("subscribe", config.topic)
        # A fetch from a broker that died without closing its connections is given up after 10 s, not
        # Kafka's 30: then the consumer asks the cluster for the partition's new leader.
        .option("kafka.request.timeout.ms", "10000")
        # Only read when the checkpoint is new; after that the checkpoint says where to resume.
        .option("startingOffsets", config.starting_offsets)
        .option("maxOffsetsPerTrigger", config.max_offsets_per_trigger)
        # Offsets lost to retention or a recreated topic are skipped rather than stopping the job.
        .option("failOnDataLoss", "false")
        .load()
    )

    def start(reading: QueryReading) -> StreamingQuery:
        batch = partial(write_batch, reading=reading, schemas=schemas, columns=columns, sinks=sinks)
        return (
            classify_users(split_confluent_header(source), reading.schemas)
            .writeStream.queryName(QUERY_NAME)
            .foreachBatch(batch)
            .option("checkpointLocation", config.checkpoint_dir)
            .trigger(processingTime=f"{config.trigger_milliseconds} milliseconds")
            .start()
        )

    run_queries(start, schemas)


if __name__ == "__main__":
    main()
