"""Shared fixtures: import paths, a scripted local HTTP server, and one local SparkSession."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fakes import ScriptedServer

REPO = Path(__file__).resolve().parent.parent
CACHE_ROOT = os.environ.get("KP_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kafka-pipelining"
)
# The code runs with these folders on sys.path in production too: Airflow adds the DAG bundle
# root, spark-submit the entry script's folder, and the constructs put jobs/contract on PYTHONPATH.
sys.path[:0] = [str(REPO / "dags"), str(REPO / "jobs" / "spark"), str(REPO / "jobs" / "contract")]

SPARK_AVRO_PACKAGE = "org.apache.spark:spark-avro_2.12:3.5.7"


@pytest.fixture
def http_server() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(*replies) -> ScriptedServer:
        script = ScriptedServer(list(replies))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                script.paths.append(self.path)
                script.headers.append(dict(self.headers))
                reply = script.replies[min(len(script.paths), len(script.replies)) - 1]
                time.sleep(reply.delay_seconds)
                body = reply.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body)
                if isinstance(body, str):
                    body = body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out first, which is what a delayed reply tests

            def log_message(self, *_args) -> None:
                pass  # keep pytest output clean

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown() at teardown quick.
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        script.url = f"http://127.0.0.1:{server.server_address[1]}"
        return script

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    # pyspark's wheel lacks spark-avro; Ivy fetches it from Maven Central once into the
    # cache outside the clone ($KP_CACHE_DIR/ivy) and reuses it from there.
    session = (
        SparkSession.builder.master("local[1]")
        .appName("tests_py")
        .config("spark.jars.packages", SPARK_AVRO_PACKAGE)
        .config("spark.jars.ivy", os.path.join(CACHE_ROOT, "ivy"))
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()
