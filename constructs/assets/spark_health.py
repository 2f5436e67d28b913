"""Health checks for the Spark containers, run by Docker inside them.

master: the master's JSON status says ALIVE.
worker: the master lists this worker (by the host name it registered with) as ALIVE.
driver: the driver's REST API lists a running application.
"""
import json
import sys
import urllib.request


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def healthy(mode, args):
    if mode == "master":
        return fetch_json("http://localhost:8080/json/")["status"] == "ALIVE"
    if mode == "worker":
        master_ui, host = args
        workers = fetch_json(f"{master_ui}/json/")["workers"]
        return any(w["host"] == host and w["state"] == "ALIVE" for w in workers)
    if mode == "driver":
        return len(fetch_json("http://localhost:4040/api/v1/applications")) > 0
    raise SystemExit(f"unknown mode {mode!r}: expected master, worker or driver")


if __name__ == "__main__":
    sys.exit(0 if healthy(sys.argv[1], sys.argv[2:]) else 1)
