"""The driver's cache of registry schemas and table columns (no Spark needed)."""

from samples import NATIONALITY, USER_FIELDS, evolved_schema
from writer_schemas import TableColumns, WriterSchemas

V1 = evolved_schema(1)
V2 = evolved_schema(2, add=(NATIONALITY,))


class FakeRegistry:
    def __init__(self, latest, schemas, unreadable=()):
        self.latest, self.schemas, self.unreadable = latest, schemas, set(unreadable)
        self.asked_latest, self.asked_ids, self.checked = 0, [], []

    def cache(self) -> WriterSchemas:
        return WriterSchemas(self.fetch_latest, self.fetch_schema, self.readable)

    def fetch_latest(self):
        self.asked_latest += 1
        return self.latest

    def fetch_schema(self, schema_id):
        self.asked_ids.append(schema_id)
        return self.schemas.get(schema_id)

    def readable(self, reader, writer):
        self.checked.append((reader, writer))
        return writer not in self.unreadable


def test_a_new_id_is_fetched_once_and_moves_the_reader_to_the_latest():
    registry = FakeRegistry(V1, {1: V1.text, 2: V2.text})
    cache = registry.cache()

    first = cache.for_batch([1])
    registry.latest = V2  # registered meanwhile; the producers switch to it
    second = cache.for_batch([1, 2])
    third = cache.for_batch([2, 1])

    assert (first.reader, dict(first.writers)) == (V1, {1: V1.text})
    assert (second.reader, dict(second.writers)) == (V2, {1: V1.text, 2: V2.text})
    assert third == second
    assert registry.asked_ids == [1, 2]
    assert registry.asked_latest == 2
    # Readability is checked once per writer and reader.
    assert registry.checked == [(V1.text, V1.text), (V2.text, V1.text), (V2.text, V2.text)]


def test_a_batch_carries_only_its_own_ids():
    cache = FakeRegistry(V2, {1: V1.text, 2: V2.text}).cache()
    cache.for_batch([1, 2])

    assert dict(cache.for_batch([2]).writers) == {2: V2.text}


def test_an_id_the_registry_does_not_know_is_asked_again_by_the_next_batch():
    registry = FakeRegistry(V1, {1: V1.text})
    cache = registry.cache()

    batch = cache.for_batch([1, 99])
    cache.for_batch([99])

    assert (dict(batch.writers), batch.unreadable) == ({1: V1.text}, frozenset())
    assert registry.asked_ids == [1, 99, 99]


def test_a_known_writer_the_reader_cannot_resolve_is_unreadable():
    other = evolved_schema(5).text.replace('"name": "User"', '"name": "Customer"')
    cache = FakeRegistry(V1, {1: V1.text, 5: other}, unreadable={other}).cache()

    batch = cache.for_batch([1, 5])

    assert (dict(batch.writers), batch.unreadable) == ({1: V1.text}, frozenset({5}))


def test_table_columns_are_read_again_while_the_reader_has_a_field_the_table_lacks():
    answers = [frozenset(USER_FIELDS), frozenset(USER_FIELDS), frozenset((*USER_FIELDS, "nationality"))]
    reads = []

    def read_columns():
        reads.append(1)
        return answers[len(reads) - 1]

    columns = TableColumns(read_columns)

    assert columns.for_reader(V1) == USER_FIELDS
    assert columns.for_reader(V1) == USER_FIELDS
    assert len(reads) == 1
    assert columns.for_reader(V2) == USER_FIELDS  # the column is not there yet
    assert columns.for_reader(V2) == V2.names
    assert columns.for_reader(V2) == V2.names
    assert len(reads) == 3
