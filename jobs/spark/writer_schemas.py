"""What the driver knows of the registry and of the Cassandra table, kept for the life of the job.

A schema registered under an id never changes, so each id is asked once. A batch is first read with
the ids met so far (known()); the ids it rejected as unknown are then asked (for_batch). The subject's
latest version, the reader, is asked again when a batch brings an id not seen before: producers move to
a version only after it is registered, so a new id is when the latest may have moved. Ids the registry
does not know are asked again by every batch that has them. The table's columns are read again while
the reader has a field the table lacks, so a column the bootstrap job adds is written without restarting
the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from pipeline_contract import UserSchema
from users_transform import BatchSchemas

log = logging.getLogger("stream_users")


class WriterSchemas:
    def __init__(
        self,
        fetch_latest: Callable[[], UserSchema],
        fetch_schema: Callable[[int], str | None],
        readable: Callable[[str, str], bool],
    ):
        """fetch_schema gives None for an id the registry does not know; readable(reader, writer) says
        whether Avro resolves data written with writer onto reader."""
        self._fetch_latest = fetch_latest
        self._fetch_schema = fetch_schema
        self._readable = readable
        self._reader: UserSchema | None = None
        self._writers: dict[int, str] = {}
        # Whether the current reader resolves each cached writer.
        self._resolves: dict[int, bool] = {}

    def known(self) -> BatchSchemas:
        """The schemas of every id met so far: what a batch is read with before its own ids are known."""
        return self.for_batch(self._writers.keys())

    def for_batch(self, schema_ids: Iterable[int]) -> BatchSchemas:
        wanted = set(schema_ids)
        fetched = {
            i: text
            for i in sorted(wanted - self._writers.keys())
            if (text := self._fetch_schema(i)) is not None
        }
        self._writers.update(fetched)
        if fetched or self._reader is None:
            self._refresh_reader()
        assert self._reader is not None
        known = wanted & self._writers.keys()
        for schema_id in known - self._resolves.keys():
            self._resolves[schema_id] = self._readable(self._reader.text, self._writers[schema_id])
            if not self._resolves[schema_id]:
                log.warning(
                    "schema id %d is not readable with the latest (id %d)", schema_id, self._reader.schema_id
                )
        return BatchSchemas(
            reader=self._reader,
            writers={i: self._writers[i] for i in sorted(known) if self._resolves[i]},
            unreadable=frozenset(i for i in known if not self._resolves[i]),
        )

    def _refresh_reader(self) -> None:
        latest = self._fetch_latest()
        if self._reader is not None and latest.schema_id == self._reader.schema_id:
            return
        log.info(
            "reading with the latest schema, id %d: fields %s", latest.schema_id, ", ".join(latest.names)
        )
        self._reader = latest
        self._resolves.clear()


class TableColumns:
    def __init__(self, read_columns: Callable[[], frozenset[str]]):
        self._read_columns = read_columns
        self._columns: frozenset[str] | None = None

    def for_reader(self, reader: UserSchema) -> tuple[str, ...]:
        """The reader's fields that the table has, in the reader's order; the others are not written."""
        if self._columns is None or not set(reader.names) <= self._columns:
            columns = self._read_columns()
            if columns != self._columns:
                lacking = [name for name in reader.names if name not in columns]
                if lacking:
                    log.warning(
                        "the table has no column for %s: not written until it has", ", ".join(lacking)
                    )
                self._columns = columns
        return tuple(name for name in reader.names if name in self._columns)
