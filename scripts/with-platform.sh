#!/usr/bin/env bash
# Runs a command with everything a deployment needs on this host: a Docker engine (started here if none
# answers, and stopped again afterwards, even on failure), the images built on the host, terraform and
# its providers, Debian's Chromium, and the environment that points cdktf at all of them. Used by the
# end-to-end proof (scripts/e2e.sh) and the benchmarks (scripts/bench.sh).
#
#   scripts/with-platform.sh COMMAND [ARGS...]
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
terraform_dir=$(dirname "$TERRAFORM_BINARY_NAME")
export PATH="$terraform_dir:$PATH" TERRAFORM_BINARY_NAME TF_CLI_CONFIG_FILE
export CHECKPOINT_DISABLE=1 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1
# Host-built images, no licensed Control Center, the local stand-in API, and triggered runs only.
export KP_IMAGE_SOURCE=host KP_CONTROL_CENTER=false KP_LOCAL_SOURCE_API=true KP_PIPELINE_SCHEDULE=none

# A first `cdktf deploy` in a fresh checkout runs `terraform providers lock`, which asks the public registry
# even when a filesystem mirror serves the providers; an init over the mirror writes the lock file first.
stack_dir=cdktf.out/stacks/kafka-pipelining
if [[ ! -f $stack_dir/.terraform.lock.hcl ]]; then
  npx cdktf synth >/dev/null
  terraform -chdir="$stack_dir" init -input=false >/dev/null
fi

"$@"
