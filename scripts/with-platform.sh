#!/usr/bin/env bash
# Runs a command with everything a deployment needs on this host, prepared by the same code as `npm run up`
# (cli/with-platform.ts): a Docker engine (the one that answers, else the project's own, started here and
# stopped again afterwards, even on failure), the images built on the host, terraform and its providers,
# the stack initialised over the local provider mirror, and the environment that points cdktf at them;
# plus Debian's Chromium for the browser test. Used by the end-to-end proof (scripts/e2e.sh) and the
# benchmarks (scripts/bench.sh).
#
#   scripts/with-platform.sh COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's chromium (browser downloads are unreachable)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# Host-built images (the suite's upgrade test builds its new Cassandra image the same way), no licensed
# Control Center, the local stand-in API, and triggered runs only: given, so nothing is probed.
export KP_IMAGE_SOURCE=host KP_CONTROL_CENTER=false KP_LOCAL_SOURCE_API=true KP_PIPELINE_SCHEDULE=none

exec bash scripts/platform.sh with -- "$@"
