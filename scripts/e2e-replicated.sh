#!/usr/bin/env bash
# The replicated profile's end-to-end proof (`npm run test:replicated`): on a Docker engine with host-built images
# (scripts/with-platform.sh), deploys KP_PROFILE=replicated (3 brokers in KRaft mode, 3 Cassandra nodes, 2 Spark
# workers) from nothing, kills a broker, a Cassandra node and a Spark worker mid-stream, then destroys it. Apart from
# the default test command (README, "Test"), whose single-node suite already takes most of an hour on two cores.
# Figures land in artifacts/e2e-replicated/figures.json. KP_KAFKA_CONTROLLERS=dedicated runs the same proof with the KRaft
# quorum in 3 controllers of their own instead of in the brokers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}

# As the default suite's (scripts/e2e.sh): small DAG batches, micro-batches of at most 200 records every 5 s, so a
# round streams for half a minute and a node can be lost part-way through it; volumes kept, and removed at the end.
export KP_PIPELINE_BATCH_SIZE=250 KP_PIPELINE_RETRY_DELAY_SECONDS=5
export KP_PIPELINE_TRIGGER_SECONDS=5 KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER=200
export KP_RETAIN_VOLUMES=true
# The profile for every step, the checks before the deploy included (its tests set it too).
export KP_PROFILE=replicated

bash scripts/with-platform.sh npx jest -c jest.replicated.config.js --ci
cat artifacts/e2e-replicated/figures.json
