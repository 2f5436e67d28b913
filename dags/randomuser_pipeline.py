"""randomuser.me → PostgreSQL outbox → Kafka, per docs/pipeline.md.

fetch_and_store validates each fetched user and commits users, rejections and the run's counts
in one transaction; publish_outbox then sends whatever is not yet acknowledged by the broker.
Splitting the two means a Kafka outage never loses fetched data: the next run publishes it.
Both tasks take the user record's fields from the subject's latest schema in the registry, so a
version registered by the bootstrap job is stored and published from the next task on.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import UTC, datetime, timedelta

import psycopg2
from airflow.sdk import Param, dag, get_current_context, task
from pipeline import outbox, source, store, transform
from pipeline.config import MAX_BATCH_SIZE, TaskConfig, load_dag_config, load_task_config
from pipeline_contract import UserSchema, latest_user_schema, value_subject

log = logging.getLogger(__name__)

# Ceiling of the outbox_hold_seconds test hook: a hold keeps its batch's rows locked.
MAX_OUTBOX_HOLD_SECONDS = 120

# What shapes the DAG is read while the file is parsed, so a missing or malformed variable shows as
# this DAG's import error, naming the variable. What only the tasks use is read when a task starts
# (its error, naming the variable, fails the task): the dag-processor does not get those variables.
CONFIG = load_dag_config()

DEFAULT_ARGS = {
    "retries": 3,
    "retry_delay": timedelta(seconds=CONFIG.retry_delay_seconds),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def _latest_schema(config: TaskConfig) -> UserSchema:
    """The subject's latest version: the fields this task stores or publishes."""
    return latest_user_schema(
        config.schema_registry_url, value_subject(config.topic), config.http_timeout_seconds
    )


@dag(
    dag_id="randomuser_pipeline",
    schedule=CONFIG.schedule,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["randomuser", "outbox", "kafka"],
    # A manual run may fetch more (or fewer) users than the scheduled batch, e.g. to backfill.
    params={
        "batch_size": Param(
            CONFIG.batch_size,
            type="integer",
            minimum=1,
            maximum=MAX_BATCH_SIZE,
            description="Users fetched by this run",
        ),
        # A test hook, not a setting: the end-to-end fault tests strike while acknowledged rows wait.
        "outbox_hold_seconds": Param(
            0,
            type="integer",
            minimum=0,
            maximum=MAX_OUTBOX_HOLD_SECONDS,
            description="Test hook, keep 0: seconds publish_outbox waits between the broker's "
            "acknowledgement of a batch and marking it published",
        ),
    },
)
def randomuser_pipeline():
    @task
    def fetch_and_store() -> None:
        config = load_task_config()
        context = get_current_context()
        run_id = context["run_id"]
        schema = _latest_schema(config)
        raw = source.fetch_users(
            config.source_url,
            context["params"]["batch_size"],
            config.http_timeout_seconds,
            config.http_retries,
        )
        rows, rejected = transform.partition(raw, schema.fields, config.max_field_length)
        for record in rejected:
            log.warning(
                "rejected record %s: field=%s reason=%s", record.record_hash, record.field, record.reason
            )
        with closing(psycopg2.connect(config.pg_dsn)) as conn:
            counts = store.store_batch(conn, run_id, len(raw), rows, rejected, schema.names)
        log.info(
            "run %s: fetched %d, stored %d new users, rejected %d (schema id %d)",
            run_id,
            counts.fetched,
            counts.stored,
            counts.rejected,
            schema.schema_id,
        )

    # "all_done": rows stored by earlier runs are relayed even when this run's fetch failed (an API
    # outage). A string, since the TriggerRule enum moves between Airflow 3 releases.
    @task(trigger_rule="all_done")
    def publish_outbox() -> None:
        config = load_task_config()
        hold_seconds = get_current_context()["params"]["outbox_hold_seconds"]
        schema = _latest_schema(config)
        producer = outbox.make_producer(
            config.kafka_bootstrap_servers, config.kafka_username, config.kafka_password
        )
        with closing(psycopg2.connect(config.pg_dsn)) as conn:
            published = outbox.publish_outbox(
                conn, producer, config.topic, config.dlq_topic, schema, hold_seconds
            )
        log.info(
            "published %d users to %s (schema id %d); %d rejections and %d refused users to %s",
            published.users,
            config.topic,
            schema.schema_id,
            published.rejections,
            published.dead_lettered,
            config.dlq_topic,
        )

    fetch_and_store() >> publish_outbox()


randomuser_pipeline()
