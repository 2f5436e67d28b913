"""The dead-letter message (docs/pipeline.md): one JSON envelope for every stage, capped so that it
always fits in a Kafka message, whatever the size of the record it is about.

A record travels whole only while its raw bytes are at most RECORD_PREFIX_BYTES; past that, the
envelope carries their first RECORD_PREFIX_BYTES bytes in base64 and says so (`truncated`). `size`
and `sha256` are always those of the whole raw bytes, so a dead letter still identifies its record.
Base64 makes the prefix 5,464 characters, so an envelope stays within about 6 KB plus its reason, far
below Kafka's default 1 MB message limit. The DAG builds it here; the Spark job builds the same
envelope in Spark SQL (jobs/spark/users_transform.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

RECORD_PREFIX_BYTES = 4096


def canonical_json(record: Any) -> bytes:
    """The record as JSON with sorted keys and no spaces, in UTF-8: the raw bytes of a JSON-borne record.

    A lone surrogate (which UTF-8 cannot encode) becomes its JSON escape, so every record has bytes.
    """
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace")


def dead_letter_value(
    stage: str,
    reason: str,
    field: str | None,
    record: Any,
    source: Mapping[str, Any] | None = None,
) -> bytes:
    """The dead-letter value for a record that is JSON (the ingest and outbox stages).

    `record` is the record itself while its canonical JSON fits in RECORD_PREFIX_BYTES, else base64 of the
    first RECORD_PREFIX_BYTES bytes of that JSON.
    """
    raw = canonical_json(record)
    truncated = len(raw) > RECORD_PREFIX_BYTES
    envelope = {
        "stage": stage,
        "reason": reason,
        "field": field,
        "source": source,
        "size": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "truncated": truncated,
        "record": base64.b64encode(raw[:RECORD_PREFIX_BYTES]).decode("ascii") if truncated else record,
    }
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8", "backslashreplace")
