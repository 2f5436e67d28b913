#!/usr/bin/env bash
# The platform's operating commands, `npm run up`, `npm run down` and `npm run status` (cli/platform.ts),
# and the route scripts/with-platform.sh takes. Installs the npm dependencies first in a fresh clone.
#
#   scripts/platform.sh up | down | status [--json] [--max-lag N] [--max-outbox-age S] | with COMMAND...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error >&2
# exec: signals reach the command itself, which passes them on to what it runs.
exec node_modules/.bin/ts-node --transpile-only cli/platform.ts "$@"
