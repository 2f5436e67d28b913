import json

import pytest
from pipeline_contract import RegistryError, UserSchema
from samples import NATIONALITY, ROW, USER_FIELDS, USER_SCHEMA_JSON, evolved_schema
from stream_users import (
    BatchSinks,
    QueryReading,
    avro_readable,
    run_queries,
    until_available,
    with_retries,
    write_batch,
)
from test_users_transform import V1, avro_body, framed, kafka_frame
from users_transform import (
    REASON_NO_HEADER,
    REASON_NOT_UUID,
    REASON_UNKNOWN_SCHEMA_ID,
    classify_users,
    split_confluent_header,
)
from writer_schemas import TableColumns, WriterSchemas


def test_registry_failures_are_tried_again_then_raised(monkeypatch):
    delays = []
    monkeypatch.setattr("stream_users.time.sleep", delays.append)
    answers = iter([RegistryError("down"), RegistryError("down"), "schema"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(call) == "schema"
    assert delays == [1.0, 2.0]
    with pytest.raises(RegistryError, match="still down"):
        with_retries(lambda: (_ for _ in ()).throw(RegistryError("still down")), attempts=3)
    assert delays == [1.0, 2.0, 1.0, 2.0]


def test_the_driver_waits_for_the_subject_the_bootstrap_registers_while_it_starts(monkeypatch, caplog):
    now = [0.0]
    monkeypatch.setattr("stream_users.time.sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    answers = iter([RegistryError("HTTP 404 for subject 'u-value'")] * 3 + ["schema"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with caplog.at_level("INFO", logger="stream_users"):
        assert until_available(call, "subject 'u-value'", wait_seconds=60, clock=lambda: now[0]) == "schema"
    assert now[0] == 6.0
    assert [r.getMessage() for r in caplog.records] == [
        "waiting for subject 'u-value': HTTP 404 for subject 'u-value'"
    ]


def test_a_subject_that_never_comes_stops_the_driver_naming_it(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("stream_users.time.sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    with pytest.raises(
        RegistryError, match=r"HTTP 404 for subject 'u-value' \(waited 10 s for subject 'u-value'\)"
    ):
        until_available(
            lambda: (_ for _ in ()).throw(RegistryError("HTTP 404 for subject 'u-value'")),
            "subject 'u-value'",
            wait_seconds=10,
            clock=lambda: now[0],
        )
    assert now[0] == 10.0


def test_avro_in_the_jvm_says_which_writers_the_latest_schema_reads(spark):
    readable = avro_readable(spark)
    v2 = evolved_schema(2, add=(NATIONALITY,)).text
    without_default = evolved_schema(3, add=({"name": "nationality", "type": "string"},)).text
    other_record = USER_SCHEMA_JSON.replace('"name": "User"', '"name": "Customer"')

    assert readable(v2, USER_SCHEMA_JSON)
    assert readable(USER_SCHEMA_JSON, v2)  # the added field is ignored
    assert not readable(without_default, USER_SCHEMA_JSON)
    assert not readable(USER_SCHEMA_JSON, other_record)
    assert not readable(USER_SCHEMA_JSON, '{"type": "object"}')


class RecordingSinks:
    """The batch's writes kept as collected rows, in place of Cassandra and the dead-letter topic."""

    def __init__(self):
        self.rows: list = []
        self.dead_letters: list = []
        self.dead_letter_writes = 0
        # How many times each write's physical plan decodes Avro, by the write's name.
        self.decodings: dict[str, int] = {}

    def sinks(self) -> BatchSinks:
        def write_rows(rows):
            self.decodings["rows"] = decodings_in(rows)
            self.rows.extend(rows.collect())

        def write_dead_letters(messages):
            self.decodings["dead letters"] = decodings_in(messages)
            self.dead_letter_writes += 1
            self.dead_letters.extend(messages.collect())

        return BatchSinks(write_rows=write_rows, write_dead_letters=write_dead_letters)


def decodings_in(frame) -> int:
    return frame._jdf.queryExecution().executedPlan().toString().count("from_avro(")


OTHER_ID = "0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11"


def all_columns() -> TableColumns:
    return TableColumns(lambda: frozenset(USER_FIELDS))


def batch_schemas_of(schema: UserSchema) -> WriterSchemas:
    """The schemas of a registry that knows schema alone, met already (as main meets the latest)."""
    schemas = WriterSchemas(
        fetch_latest=lambda: schema,
        fetch_schema=lambda schema_id: schema.text if schema_id == schema.schema_id else None,
        readable=lambda reader, writer: True,
    )
    schemas.for_batch([schema.schema_id])
    return schemas


def write(spark, schemas: WriterSchemas, sinks: BatchSinks, *values, columns: TableColumns | None = None):
    """write_batch on a batch of values classified as a query started now would; the query's reading."""
    reading = QueryReading(schemas.known())
    batch = classify_users(split_confluent_header(kafka_frame(spark, *values)), reading.schemas)
    write_batch(batch, 1, reading, schemas, columns or all_columns(), sinks)
    return reading


def test_a_clean_batch_writes_its_rows_and_runs_no_dead_letter_write(spark):
    recording = RecordingSinks()

    reading = write(
        spark, batch_schemas_of(V1), recording.sinks(), framed(avro_body()), framed(avro_body(id=OTHER_ID))
    )

    assert sorted(row.id for row in recording.rows) == sorted([ROW["id"], OTHER_ID])
    assert recording.dead_letter_writes == 0
    assert not reading.outdated.is_set()


def test_a_batch_with_rejected_rows_writes_the_valid_ones_and_exactly_their_dead_letters(spark):
    recording = RecordingSinks()
    values = (framed(avro_body()), framed(avro_body(id="not-a-uuid")), b"\x00")

    write(spark, batch_schemas_of(V1), recording.sinks(), *values)

    assert [row.id for row in recording.rows] == [ROW["id"]]
    assert recording.dead_letter_writes == 1
    reasons = sorted(json.loads(message.value)["reason"] for message in recording.dead_letters)
    assert reasons == sorted([REASON_NOT_UUID, REASON_NO_HEADER])
    # Once per writer schema in each write: a filter pushed below the decoding inlines it hundreds of times.
    assert recording.decodings == {"rows": 1, "dead letters": 1}


class Registry:
    """A registry that knows V1, and V2 once registered; it counts the schemas asked of it."""

    def __init__(self):
        self.schemas = {V1.schema_id: V1}
        self.asked: list[int] = []

    def writer_schemas(self) -> WriterSchemas:
        def fetch_schema(schema_id):
            self.asked.append(schema_id)
            known = self.schemas.get(schema_id)
            return known.text if known else None

        return WriterSchemas(
            fetch_latest=lambda: self.schemas[max(self.schemas)],
            fetch_schema=fetch_schema,
            readable=lambda reader, writer: True,
        )


V2 = evolved_schema(V1.schema_id + 1, add=(NATIONALITY,))


def test_a_batch_brings_a_new_version_its_rows_are_read_again_with_it_and_the_query_is_flagged(spark):
    registry, recording = Registry(), RecordingSinks()
    schemas = registry.writer_schemas()
    # A query started before any id was met decodes none: its first batch meets V1 and flags it.
    assert write(spark, schemas, RecordingSinks().sinks(), framed(avro_body())).outdated.is_set()
    assert registry.asked == [V1.schema_id]
    registry.schemas[V2.schema_id] = V2
    new_row = framed(avro_body(V2, id=OTHER_ID, nationality="NZ"), schema_id=V2.schema_id)
    with_nationality = TableColumns(lambda: frozenset([*USER_FIELDS, NATIONALITY["name"]]))

    reading = write(spark, schemas, recording.sinks(), framed(avro_body()), new_row, columns=with_nationality)

    # Read first as the query decodes, V1 alone (the V2 row rejected as unknown), then again with V2 the
    # latest: both rows, the second pass's with the new field; upserts: the first pass's row is overwritten.
    latest = {row.id: row for row in recording.rows}
    assert sorted(latest) == sorted([ROW["id"], OTHER_ID])
    assert latest[OTHER_ID].nationality == "NZ"
    assert recording.dead_letter_writes == 0
    assert registry.asked == [V1.schema_id, V2.schema_id]
    assert reading.outdated.is_set()
    assert schemas.known().reader == V2


def test_an_id_the_registry_does_not_know_is_a_dead_letter_and_asked_again_by_the_next_batch(spark):
    registry = Registry()
    schemas = registry.writer_schemas()
    schemas.for_batch([V1.schema_id])
    for _ in range(2):
        recording = RecordingSinks()
        values = (framed(avro_body()), framed(avro_body(id=OTHER_ID), schema_id=99))

        reading = write(spark, schemas, recording.sinks(), *values)

        assert [row.id for row in recording.rows] == [ROW["id"]]
        assert [json.loads(m.value)["reason"] for m in recording.dead_letters] == [REASON_UNKNOWN_SCHEMA_ID]
        # Nothing new to decode: the query goes on.
        assert not reading.outdated.is_set()
    assert registry.asked.count(99) == 2
    assert registry.asked.count(V1.schema_id) == 1


FLAGGING_BATCH = 7
COMMITTED = {"batchId": FLAGGING_BATCH, "numInputRows": 300}


class FakeQuery:
    """A query that runs until stopped, or fails at once with failure. Its progress reports are reports,
    one more each time lastProgress is read, the last one repeated."""

    def __init__(self, failure: Exception | None = None, reports: tuple[dict | None, ...] = (COMMITTED,)):
        self.failure, self.stopped = failure, False
        self.reports, self.reports_read, self.reports_read_at_stop = reports, 0, None

    @property
    def isActive(self) -> bool:  # noqa: N802 (PySpark's name)
        return not (self.stopped or self.failure)

    @property
    def lastProgress(self) -> dict | None:  # noqa: N802
        report = self.reports[min(self.reports_read, len(self.reports) - 1)]
        self.reports_read += 1
        return report

    def awaitTermination(self) -> None:  # noqa: N802
        if self.failure:
            raise self.failure

    def stop(self) -> None:
        self.stopped, self.reports_read_at_stop = True, self.reports_read


def test_a_query_flagged_outdated_is_stopped_and_started_again_with_the_schemas_known_by_then():
    registry = Registry()
    schemas = registry.writer_schemas()
    schemas.for_batch([V1.schema_id])
    started: list[tuple[QueryReading, FakeQuery]] = []

    def start(reading: QueryReading) -> FakeQuery:
        if not started:
            # Its batch meets V2, newly registered, and flags the query, as write_batch does.
            registry.schemas[V2.schema_id] = V2
            schemas.for_batch([V1.schema_id, V2.schema_id])
            reading.flag(FLAGGING_BATCH)
        query = FakeQuery(failure=RuntimeError("the query failed") if started else None)
        started.append((reading, query))
        return query

    with pytest.raises(RuntimeError, match="the query failed"):
        run_queries(start, schemas, poll_seconds=0.01)

    (first, first_query), (second, _) = started
    assert first_query.stopped
    assert sorted(first.schemas.writers) == [V1.schema_id]
    assert (sorted(second.schemas.writers), second.schemas.reader) == ([V1.schema_id, V2.schema_id], V2)
    assert not second.outdated.is_set()


def run_flagged_query(reports: tuple[dict | None, ...], commit_timeout_seconds: float = 60.0) -> FakeQuery:
    """run_queries over a first query whose batch FLAGGING_BATCH flags it and whose progress says reports;
    the query it starts next fails, which ends the run. The first query."""
    schemas = Registry().writer_schemas()
    schemas.for_batch([V1.schema_id])
    queries: list[FakeQuery] = []

    def start(reading: QueryReading) -> FakeQuery:
        if not queries:
            reading.flag(FLAGGING_BATCH)
        queries.append(FakeQuery(RuntimeError("ended") if queries else None, reports))
        return queries[-1]

    with pytest.raises(RuntimeError, match="ended"):
        run_queries(start, schemas, poll_seconds=0.001, commit_timeout_seconds=commit_timeout_seconds)
    return queries[0]


def test_a_flagged_query_is_stopped_only_once_spark_has_committed_the_flagging_batch():
    # No report yet, then the previous batch's, then an idle trigger's (the flagging batch's id, no rows):
    # none says the batch is committed, so a stop then would have the restart write it again.
    reports = (
        None,
        {"batchId": FLAGGING_BATCH - 1, "numInputRows": 40},
        {"batchId": FLAGGING_BATCH, "numInputRows": 0},
    )

    query = run_flagged_query((*reports, COMMITTED))

    assert query.stopped
    assert query.reports_read_at_stop == len(reports) + 1


def test_a_later_batch_report_also_says_the_flagging_batch_is_committed():
    query = run_flagged_query(({"batchId": FLAGGING_BATCH + 1, "numInputRows": 0},))

    assert query.reports_read_at_stop == 1


def test_a_commit_that_never_comes_stops_the_query_after_the_timeout(caplog):
    idle = {"batchId": FLAGGING_BATCH, "numInputRows": 0}

    query = run_flagged_query((idle,), commit_timeout_seconds=0.05)

    assert query.stopped
    assert f"batch {FLAGGING_BATCH} not committed" in caplog.text
