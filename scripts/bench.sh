#!/usr/bin/env bash
# `npm run bench`: deploys the platform on a Docker engine with images built on the host
# (scripts/with-platform.sh) and measures it (bench/run.ts), then destroys it. Figures go to
# artifacts/bench/ (results.json, latency.png); nothing is asserted. The load is set with KP_BENCH_*
# (README "Benchmarks", bench/config.ts); the Spark job's settings can be varied per run with
# KP_PIPELINE_TRIGGER_SECONDS, KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER and
# KP_PIPELINE_CASSANDRA_CONCURRENT_WRITES (see main.ts). The measured DAG runs ask for their batch size
# as a run parameter (at most 5,000), so KP_PIPELINE_BATCH_SIZE stays at its default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/with-platform.sh npx ts-node --transpile-only bench/run.ts
