#!/usr/bin/env bash
# The linters (`npm run lint`; a step of scripts/test.sh): eslint with typescript-eslint over the
# TypeScript (eslint.config.mjs), ruff over the Python (ruff.toml), shellcheck over every shell script,
# promtool over the monitoring's Prometheus rules (constructs/assets/prometheus).
# Each runs whatever the others find; any finding fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# ruff runs on any Python 3; the test command passes Airflow's.
PYTHON=${PYTHON:-python3}
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
mkdir -p "$KP_CACHE_DIR"

[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error

# ruff at its pin in requirements-dev.txt, in a venv of its own: linting needs none of the test packages.
ruff_pin=$(grep -E '^ruff==' requirements-dev.txt)
ruff_venv=$KP_CACHE_DIR/ruff-venv
if [[ "$(cat "$ruff_venv/.pin" 2>/dev/null)" != "$ruff_pin" ]]; then
  rm -rf "$ruff_venv"
  "$PYTHON" -m venv "$ruff_venv"
  "$ruff_venv/bin/pip" install --quiet --disable-pip-version-check "$ruff_pin"
  echo "$ruff_pin" >"$ruff_venv/.pin"
fi
export RUFF_CACHE_DIR=$KP_CACHE_DIR/ruff-cache

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "==> installing Debian's shellcheck"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
# promtool (in Debian's prometheus package) lints the rules here, and jest's prometheus-rules test runs it too.
if ! command -v promtool >/dev/null 2>&1; then
  echo "==> installing Debian's prometheus (for promtool)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# Shell scripts by name or by their #! line (the host images' bin/ wrappers have no .sh), tracked or new.
shebang='^#!.*[/ ](ba|da|k)?sh([[:space:]]|$)'
shell_scripts=()
while IFS= read -r file; do
  [[ -f "$file" ]] || continue
  first_line=''
  IFS= read -r first_line <"$file" || true
  if [[ "$file" == *.sh || "$first_line" =~ $shebang ]]; then shell_scripts+=("$file"); fi
done < <(git ls-files --cached --others --exclude-standard)

findings=()
lint() { # NAME COMMAND...: runs one linter and reports how long it took
  local name=$1 started=$SECONDS
  shift
  printf '\n--> %s\n' "$name"
  if "$@"; then echo "$name: clean in $((SECONDS - started)) s"; else echo "$name: findings (above) in $((SECONDS - started)) s"; findings+=("$name"); fi
}
lint eslint npx eslint --max-warnings 0 .
lint ruff "$ruff_venv/bin/ruff" check --output-format concise .
lint shellcheck shellcheck -x "${shell_scripts[@]}"
lint promtool promtool check rules constructs/assets/prometheus/*.rules.yml

if [[ ${#findings[@]} -gt 0 ]]; then
  echo "lint: findings from ${findings[*]}"
  exit 1
fi
echo "lint: clean"
