"""Writes one fetched batch to PostgreSQL: the outbox rows, the run's ids, the rejections and its counts.

The tables are created by the bootstrap job; this module only writes to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg2.extras import Json, execute_values

from pipeline.transform import RejectedRecord


def _insert_users_sql(columns: Sequence[str]) -> tuple[str, str]:
    """The users INSERT and its row template, for the registered schema's fields (the bootstrap job
    added their columns before registering it; the names are checked identifiers, see schema.py)."""
    sql = f"""
        INSERT INTO users ({", ".join(columns)}, fetched_at)
        VALUES %s
        ON CONFLICT (id) DO NOTHING
        RETURNING id
    """
    # now() is the transaction's start, so every row of a batch gets the same fetched_at.
    return sql, "(" + ", ".join(["%s"] * len(columns)) + ", now())"


# Every valid user of the run, new or not: verify compares by these ids, run by run (docs/pipeline.md).
_INSERT_RUN_USERS = """
    INSERT INTO ingest_run_users (run_id, id)
    VALUES %s
    ON CONFLICT (run_id, id) DO NOTHING
"""

_INSERT_REJECTIONS = """
    INSERT INTO rejected_records (record_hash, run_id, reason, field, raw, rejected_at)
    VALUES %s
    ON CONFLICT (record_hash) DO NOTHING
"""
_REJECTION_TEMPLATE = "(%s, %s, %s, %s, %s, now())"

# A task retry after a commit (say the worker died just after it) stores a second batch under
# the same run_id: the counts add up rather than fail on the primary key or hide the first one.
_UPSERT_RUN = """
    INSERT INTO ingest_runs (run_id, fetched, stored, rejected, finished_at)
    VALUES (%s, %s, %s, %s, now())
    ON CONFLICT (run_id) DO UPDATE SET
        fetched = ingest_runs.fetched + EXCLUDED.fetched,
        stored = ingest_runs.stored + EXCLUDED.stored,
        rejected = ingest_runs.rejected + EXCLUDED.rejected,
        finished_at = EXCLUDED.finished_at
"""


@dataclass(frozen=True)
class RunCounts:
    fetched: int
    stored: int  # new users; a user already in the table is not counted again
    rejected: int


def store_batch(
    conn,
    run_id: str,
    fetched: int,
    rows: Sequence[dict[str, str | None]],
    rejected: Sequence[RejectedRecord],
    columns: Sequence[str],
) -> RunCounts:
    """Insert users (their `columns`), the run's ids, rejections and the run row in one transaction:
    all of them or none."""
    with conn, conn.cursor() as cur:
        stored = _insert_users(cur, rows, columns)
        _insert_run_users(cur, run_id, rows)
        _insert_rejections(cur, run_id, rejected)
        counts = RunCounts(fetched=fetched, stored=stored, rejected=len(rejected))
        cur.execute(_UPSERT_RUN, (run_id, counts.fetched, counts.stored, counts.rejected))
    return counts


def _insert_users(cur, rows: Sequence[dict[str, str | None]], columns: Sequence[str]) -> int:
    if not rows:
        return 0
    values = [tuple(row[name] for name in columns) for row in rows]
    sql, template = _insert_users_sql(columns)
    inserted = execute_values(cur, sql, values, template=template, fetch=True)
    return len(inserted)


def _insert_run_users(cur, run_id: str, rows: Sequence[dict[str, str | None]]) -> None:
    if not rows:
        return
    execute_values(cur, _INSERT_RUN_USERS, [(run_id, row["id"]) for row in rows])


def _insert_rejections(cur, run_id: str, rejected: Sequence[RejectedRecord]) -> None:
    if not rejected:
        return
    values = [(r.record_hash, run_id, r.reason, r.field, Json(r.raw)) for r in rejected]
    execute_values(cur, _INSERT_REJECTIONS, values, template=_REJECTION_TEMPLATE)
