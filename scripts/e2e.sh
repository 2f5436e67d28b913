#!/usr/bin/env bash
# The end-to-end proof: on a Docker engine with images built on the host (scripts/with-platform.sh), the
# ordered e2e suite deploys, runs the pipeline, injects the faults and bad input, destroys and redeploys
# keeping the data, checks secrets and ports, opens the Airflow UI in Chromium, then destroys. Artifacts
# (logs, figures.json, the UI screenshot) land in artifacts/e2e/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Small DAG batches (several runs), quick task retries, and micro-batches of at most 200 records every
# 5 s, so a 1,000-user round streams for half a minute and a fault can land part-way through it.
export KP_PIPELINE_BATCH_SIZE=250 KP_PIPELINE_RETRY_DELAY_SECONDS=5
export KP_PIPELINE_TRIGGER_SECONDS=5 KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER=200
# Volumes outlive destroy, so the suite can destroy and redeploy mid-way and find every user again; its
# last test removes them.
export KP_RETAIN_VOLUMES=true

mkdir -p .cache/reports
bash scripts/with-platform.sh npx jest -c jest.e2e.config.js --ci --json --outputFile=.cache/reports/jest-e2e.json
cat artifacts/e2e/figures.json
