"""Stand-ins for a psycopg2 connection, a confluent_kafka Producer and an HTTP service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException


class FakeConnection:
    """Commits when its `with` block succeeds and rolls back when it raises, like psycopg2's."""

    encoding = "UTF8"  # psycopg2.extras.execute_values encodes its SQL with this

    def __init__(self, on_execute: Callable[[str, Any], list[tuple]] | None = None):
        self.on_execute = on_execute or (lambda sql, params: [])
        self.statements: list[tuple[str, Any]] = []
        self.mogrified: list[tuple] = []
        self.commits = 0
        self.rollbacks = 0

    def __enter__(self) -> FakeConnection:
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        if exc_type is None:
            self.commits += 1
        else:
            self.rollbacks += 1

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def sql(self, containing: str) -> list[tuple[str, Any]]:
        return [(sql, params) for sql, params in self.statements if containing in sql]


class FakeCursor:
    def __init__(self, connection: FakeConnection):
        self.connection = connection
        self._result: list[tuple] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *_exc) -> None:
        pass

    def mogrify(self, template: str, args: tuple) -> bytes:
        # execute_values renders each row with mogrify; keep the row, render a placeholder.
        self.connection.mogrified.append(tuple(args))
        return b"(?)"

    def execute(self, sql: str | bytes, params: Any = None) -> None:
        text = sql.decode() if isinstance(sql, bytes) else sql
        self.connection.statements.append((text, params))
        self._result = self.connection.on_execute(text, params)

    def fetchall(self) -> list[tuple]:
        return self._result

    def fetchone(self) -> tuple | None:
        return self._result[0] if self._result else None


class FakeProducer:
    """Delivers on poll/flush; keys in `fail` get an error report, in `lose` no report at all,
    in `refuse` are rejected by produce() itself (a full local queue), and in `too_large_for_broker`
    get the broker's refusal in their report; every message to one of `unreachable_topics` times out.
    A value over message_max_bytes is refused by produce(), as librdkafka refuses one over its
    message.max.bytes."""

    def __init__(
        self,
        fail: set[bytes] = frozenset(),
        lose: set[bytes] = frozenset(),
        refuse: set[bytes] = frozenset(),
        too_large_for_broker: set[bytes] = frozenset(),
        message_max_bytes: int = 1_000_000,
        unreachable_topics: set[str] = frozenset(),
    ):
        self.fail, self.lose, self.refuse = fail, lose, refuse
        self.unreachable_topics = unreachable_topics
        self.too_large_for_broker, self.message_max_bytes = too_large_for_broker, message_max_bytes
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self._reports: list[Callable[[], None]] = []
        self.flushes = 0

    def produce(self, topic: str, key: bytes | None, value: bytes, on_delivery: Callable) -> None:
        if key in self.refuse:
            raise BufferError("Local: Queue full")
        if len(value) > self.message_max_bytes:
            refusal = "Unable to produce message: Broker: Message size too large"
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, refusal))
        self.sent.append((topic, key, value))
        if key in self.lose:
            return
        error = None
        if key in self.fail or topic in self.unreachable_topics:
            error = KafkaError(KafkaError._MSG_TIMED_OUT)
        elif key in self.too_large_for_broker:
            error = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large")
        self._reports.append(lambda: on_delivery(error, None))

    def poll(self, _timeout: float) -> int:
        reports, self._reports = self._reports, []
        for report in reports:
            report()
        return len(reports)

    def flush(self, timeout: float) -> int:
        self.flushes += 1
        self.poll(timeout)
        return 0


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    delay_seconds: float = 0.0


@dataclass
class ScriptedServer:
    """Answers requests with the scripted replies in order, repeating the last one."""

    replies: list[Reply]
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
