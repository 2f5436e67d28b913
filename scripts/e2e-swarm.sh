#!/usr/bin/env bash
# The swarm target's proof (`npm run test:swarm`): three hosts on this machine (scripts/swarm-hosts.sh), the registry
# on the manager with the host-built images pushed into it, then the replicated profile deployed through the manager
# (KP_SWARM_*: one broker and one Cassandra node per host) and proven end to end (__tests__/e2e/swarm.proof.test.ts).
# The hosts are torn down afterwards, even on failure. Apart from the default test command, like the replicated proof.
# Figures land in artifacts/e2e-swarm/figures.json, the bring-up's time among them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}

# This machine's engine builds the images and initialises the stack (scripts/with-platform.sh); the hosts come next.
if [[ "${1:-}" != --with-platform ]]; then exec bash scripts/with-platform.sh bash scripts/e2e-swarm.sh --with-platform; fi

# shellcheck source=scripts/versions.sh
source scripts/versions.sh
mapfile -t images < <(kp_versions_ts "Object.entries(v.IMAGES).filter(([name]) => !['controlCenter', 'registry'].includes(name))
  .map(([, image]) => v.HOST_IMAGE_NAMESPACE + '/' + image.repository.split('/').pop() + ':' + image.tag).join('\n')")
bash scripts/build-host-images.sh registry >/dev/null

trap 'bash scripts/swarm-hosts.sh down >/dev/null 2>&1 || true' EXIT
start=$SECONDS
bash scripts/swarm-hosts.sh up 3
registry=$(bash scripts/swarm-hosts.sh registry)
bash scripts/swarm-hosts.sh push "${images[@]}" >/dev/null
bring_up=$((SECONDS - start))
echo "==> three hosts, the registry and ${#images[@]} images pushed in ${bring_up} s"

# The same pipeline settings as the replicated proof's (scripts/e2e-replicated.sh): rounds that stream for a while.
export KP_PIPELINE_BATCH_SIZE=250 KP_PIPELINE_RETRY_DELAY_SECONDS=5
export KP_PIPELINE_TRIGGER_SECONDS=5 KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER=200
export KP_PROFILE=replicated KP_SWARM_HOSTS=host-1,host-2,host-3 KP_SWARM_ADDRESSES=10.231.0.11,10.231.0.12,10.231.0.13
export KP_SWARM_REGISTRY=$registry KP_SWARM_REGISTRY_INSECURE=true KP_ACCEPT_UNENCRYPTED_NETWORK_ACCESS=true
eval "$(bash scripts/swarm-hosts.sh env 1)"
status=0
npx jest -c jest.swarm.config.js --ci || status=$?
mkdir -p artifacts/e2e-swarm
node -e "
  const fs = require('fs'); const file = 'artifacts/e2e-swarm/figures.json';
  const figures = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  fs.writeFileSync(file, JSON.stringify({ bringUpSeconds: $bring_up, ...figures }, null, 2));"
cat artifacts/e2e-swarm/figures.json
exit "$status"
