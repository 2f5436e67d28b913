import pytest
from fakes import FakeConnection
from pipeline import store, transform
from samples import ROW, USER_FIELDS, USER_SCHEMA, api_user

OTHER_ROW = {**ROW, "id": "0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11", "email": "other@example.com"}


def returning_new_ids(*new_ids):
    """The users INSERT returns only the ids it inserted (the others hit ON CONFLICT DO NOTHING)."""
    return lambda sql, params: [(i,) for i in new_ids] if "INSERT INTO users" in sql else []


def test_stores_users_rejections_and_run_in_one_transaction():
    conn = FakeConnection(returning_new_ids(ROW["id"], OTHER_ROW["id"]))
    _, rejected = transform.partition([api_user({"email": ""})], USER_SCHEMA.fields)

    counts = store.store_batch(conn, "manual__1", 3, [ROW, OTHER_ROW], rejected, USER_FIELDS)

    assert counts == store.RunCounts(fetched=3, stored=2, rejected=1)
    assert (conn.commits, conn.rollbacks) == (1, 0)
    users_sql, run_users_sql, rejections_sql, run_sql = (sql for sql, _ in conn.statements)
    assert "INSERT INTO users" in users_sql
    assert "ON CONFLICT (id) DO NOTHING" in users_sql
    assert "INSERT INTO ingest_run_users" in run_users_sql
    assert "INSERT INTO rejected_records" in rejections_sql
    assert "ON CONFLICT (record_hash) DO NOTHING" in rejections_sql
    assert "INSERT INTO ingest_runs" in run_sql
    assert conn.statements[3][1] == ("manual__1", 3, 2, 1)


def test_user_values_follow_the_column_order():
    conn = FakeConnection(returning_new_ids(ROW["id"]))

    store.store_batch(conn, "r", 1, [ROW], [], USER_FIELDS)

    assert conn.mogrified == [tuple(ROW[name] for name in USER_FIELDS), ("r", ROW["id"])]
    assert f"({', '.join(USER_FIELDS)}, fetched_at)" in conn.statements[0][0]


def test_the_columns_are_the_registered_schema_fields():
    conn = FakeConnection(returning_new_ids(ROW["id"]))

    store.store_batch(conn, "r", 1, [{**ROW, "nationality": "GB"}], [], (*USER_FIELDS, "nationality"))

    assert conn.mogrified == [(*ROW.values(), "GB"), ("r", ROW["id"])]
    assert f"({', '.join(USER_FIELDS)}, nationality, fetched_at)" in conn.statements[0][0]


def test_rejection_values_carry_hash_run_reason_field_and_raw_json():
    raw = api_user({"name.first": ""})
    conn = FakeConnection()
    _, rejected = transform.partition([raw], USER_SCHEMA.fields)

    store.store_batch(conn, "r", 1, [], rejected, USER_FIELDS)

    ((record_hash, run_id, reason, field, raw_json),) = conn.mogrified
    assert (record_hash, run_id, reason, field) == (
        transform.record_hash(raw),
        "r",
        "empty name.first",
        "first_name",
    )
    assert raw_json.adapted == raw


def test_users_already_stored_are_not_counted_again():
    conn = FakeConnection(returning_new_ids(OTHER_ROW["id"]))

    counts = store.store_batch(conn, "r", 2, [ROW, OTHER_ROW], [], USER_FIELDS)

    assert counts.stored == 1


def test_every_valid_user_of_the_run_is_recorded_with_it_even_one_already_stored():
    # The users INSERT returns only OTHER_ROW: ROW was stored by an earlier run and is fetched again.
    conn = FakeConnection(returning_new_ids(OTHER_ROW["id"]))

    store.store_batch(conn, "scheduled__2", 2, [ROW, OTHER_ROW], [], USER_FIELDS)

    ((sql, _),) = conn.sql("INSERT INTO ingest_run_users")
    assert "ON CONFLICT (run_id, id) DO NOTHING" in sql
    assert conn.mogrified[-2:] == [("scheduled__2", ROW["id"]), ("scheduled__2", OTHER_ROW["id"])]


def test_an_empty_batch_still_records_the_run():
    conn = FakeConnection()

    counts = store.store_batch(conn, "r", 0, [], [], USER_FIELDS)

    assert counts == store.RunCounts(0, 0, 0)
    assert [sql for sql, _ in conn.statements] == [store._UPSERT_RUN]
    assert conn.commits == 1


def test_a_rerun_with_the_same_run_id_adds_to_its_counts():
    assert "ON CONFLICT (run_id) DO UPDATE" in store._UPSERT_RUN
    assert "fetched = ingest_runs.fetched + EXCLUDED.fetched" in store._UPSERT_RUN


def test_a_failure_rolls_everything_back():
    def fail_on_run_row(sql, params):
        if "ingest_runs" in sql:
            raise RuntimeError("connection lost")
        return [(ROW["id"],)]

    conn = FakeConnection(fail_on_run_row)

    with pytest.raises(RuntimeError, match="connection lost"):
        store.store_batch(conn, "r", 1, [ROW], [], USER_FIELDS)
    assert (conn.commits, conn.rollbacks) == (0, 1)
