"""Spark Structured Streaming job: the users topic (Confluent-framed Avro) → Cassandra; rows that
fail a check → the dead-letter topic. The I/O lives here; the rules live in users_transform.

The Kafka, Avro and Cassandra connectors are on the classpath of the platform's Spark image
(constructs/spark-image.ts, versions in constructs/versions.ts), so spark-submit resolves nothing.
The sibling modules (beside this file) and pipeline_contract (jobs/contract, on PYTHONPATH) are
imported on the driver only: every transform is a Spark SQL expression, with no Python UDF, so
executors need none of this Python code.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from urllib.error import URLError
from urllib.parse import quote
from urllib.request import urlopen

from pyspark.sql import DataFrame, SparkSession
from stream_config import StreamConfig, load_stream_config
from users_transform import classify_users, dlq_messages, valid_rows

log = logging.getLogger("stream_users")

REGISTRY_TIMEOUT_SECONDS = 10


def fetch_latest_schema(registry_url: str, subject: str) -> tuple[int, str]:
    """The latest schema id and schema JSON registered under subject."""
    url = f"{registry_url.rstrip('/')}/subjects/{quote(subject, safe='')}/versions/latest"
    # The URL may carry credentials, so errors name the subject, never the URL.
    try:
        with urlopen(url, timeout=REGISTRY_TIMEOUT_SECONDS) as response:
            body = json.load(response)
        return int(body["id"]), body["schema"]
    except (URLError, TimeoutError, ValueError, KeyError, TypeError) as error:
        raise RuntimeError(
            f"no usable latest schema for subject {subject!r} in the registry: {error}"
        ) from None


def write_batch(
    batch: DataFrame, batch_id: int, config: StreamConfig, schema_id: int, schema_json: str
) -> None:
    # Persisted because two writes read it: without it each would re-read the batch from Kafka.
    classified = classify_users(batch, schema_id, schema_json).persist()
    try:
        # Cassandra writes are upserts by id, so a batch replayed after a crash changes nothing.
        (
            valid_rows(classified)
            .write.format("org.apache.spark.sql.cassandra")
            .options(keyspace=config.cassandra_keyspace, table=config.cassandra_table)
            .mode("append")
            .save()
        )
        # A replayed batch re-sends its dead letters: the DLQ is at least once.
        (
            dlq_messages(classified)
            .write.format("kafka")
            .option("kafka.bootstrap.servers", config.kafka_bootstrap_servers)
            .option("topic", config.dlq_topic)
            .save()
        )
    finally:
        classified.unpersist()
    log.info("batch %d written", batch_id)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_stream_config()
    # Fixed for the life of the query: a schema registered later is decoded after a restart.
    schema_id, schema_json = fetch_latest_schema(config.schema_registry_url, config.value_subject)
    log.info("decoding %s with schema id %d", config.topic, schema_id)

    spark = (
        SparkSession.builder.appName("stream_users").config(map=config.cassandra_spark_conf()).getOrCreate()
    )
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", config.kafka_bootstrap_servers)
        .option("subscribe", config.topic)
        # Only read when the checkpoint is new; after that the checkpoint says where to resume.
        .option("startingOffsets", config.starting_offsets)
        .option("maxOffsetsPerTrigger", config.max_offsets_per_trigger)
        # Offsets lost to retention or a recreated topic are skipped rather than stopping the job.
        .option("failOnDataLoss", "false")
        .load()
    )
    query = (
        source.writeStream.foreachBatch(
            partial(write_batch, config=config, schema_id=schema_id, schema_json=schema_json)
        )
        .option("checkpointLocation", config.checkpoint_dir)
        .trigger(processingTime=f"{config.trigger_seconds} seconds")
        .start()
    )
    query.awaitTermination()


if __name__ == "__main__":
    main()
