#!/usr/bin/env bash
# The end-to-end proof (issue: real deploy): starts a Docker engine if none answers, builds the images on
# the host, then runs the ordered e2e suite (deploy → pipeline → Airflow UI in Chromium → destroy) and
# stops the engine it started, even when a test fails. Artifacts (logs, figures.json, the UI screenshot)
# land in artifacts/e2e/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's chromium (browser downloads are unreachable)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

started_engine=false
if [[ -z "${DOCKER_HOST:-}" ]] || ! docker info >/dev/null 2>&1; then
  bash scripts/docker-engine.sh start
  started_engine=true
  eval "$(bash scripts/docker-engine.sh env)"
fi
stop_engine() { if $started_engine; then bash scripts/docker-engine.sh stop; fi; }
trap stop_engine EXIT
export DOCKER_HOST

t0=$(date +%s)
bash scripts/build-host-images.sh
echo "==> host images ready in $(( $(date +%s) - t0 )) s"

eval "$(bash scripts/install-terraform.sh)"
export PATH="$(dirname "$TERRAFORM_BINARY_NAME"):$PATH" TERRAFORM_BINARY_NAME TF_CLI_CONFIG_FILE
export CHECKPOINT_DISABLE=1 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1
export KP_IMAGE_SOURCE=host KP_CONTROL_CENTER=false KP_LOCAL_SOURCE_API=true KP_PIPELINE_BATCH_SIZE=250 KP_PIPELINE_SCHEDULE=none KP_PIPELINE_RETRY_DELAY_SECONDS=5 KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER=200

mkdir -p .cache/reports
npx jest -c jest.e2e.config.js --ci --json --outputFile=.cache/reports/jest-e2e.json
cat artifacts/e2e/figures.json
