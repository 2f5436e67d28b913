"""Fetches a batch of users from the randomuser.me API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger(__name__)

# The longest single wait between attempts, so a large PIPELINE_HTTP_RETRIES can't stall a task
# for hours; Airflow's own task retries take over after that.
MAX_BACKOFF_SECONDS = 60.0


class SourceError(RuntimeError):
    """The API could not be read, or answered with something other than a list of users."""


class _TransientError(Exception):
    """A failure worth another attempt: timeout, connection error, 429 or 5xx."""


def fetch_users(
    url: str,
    count: int,
    timeout_seconds: float,
    retries: int,
    sleep: Callable[[float], None] = time.sleep,
    backoff_seconds: float = 1.0,
) -> list[dict[str, Any]]:
    """GET url?results=count, retrying transient failures with exponential backoff."""
    failures = 0
    while True:
        try:
            return _fetch_once(url, count, timeout_seconds)
        except _TransientError as failure:
            failures += 1
            if failures > retries:
                raise SourceError(f"{url} failed after {failures} attempts: {failure}") from None
            delay = min(backoff_seconds * 2 ** (failures - 1), MAX_BACKOFF_SECONDS)
            log.warning("attempt %d failed (%s); retrying in %.1fs", failures, failure, delay)
            sleep(delay)


def _fetch_once(url: str, count: int, timeout_seconds: float) -> list[dict[str, Any]]:
    try:
        response = requests.get(url, params={"results": count}, timeout=timeout_seconds)
    # ChunkedEncodingError: the connection broke while the body was streaming in.
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
        raise _TransientError(type(error).__name__) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise _TransientError(f"HTTP {response.status_code}")
    if response.status_code != 200:
        raise SourceError(f"{url} answered HTTP {response.status_code}")
    return _results(url, response)


def _results(url: str, response: requests.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError as error:
        raise SourceError(f"{url} returned malformed JSON: {error}") from None
    # The API reports some failures as HTTP 200 with {"error": "..."}.
    if isinstance(body, dict) and "error" in body:
        raise SourceError(f"{url} returned an error: {body['error']}")
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise SourceError(f"{url} returned JSON without a 'results' list")
    return results
