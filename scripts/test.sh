#!/usr/bin/env bash
# The one test command (README "Test"; .ci/run calls it). From a fresh clone it installs what it needs
# and runs every suite; a failing step fails the run. Ends with one summary line of passed/failed tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .cache/reports
rm -f .cache/reports/*.json .cache/reports/*.xml
# Caches (engine data, images, venvs, terraform, Maven, Go) live outside the clone, so a fresh clone on
# the same machine runs warm.
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
mkdir -p "$KP_CACHE_DIR"

step() { printf '\n==> %s\n' "$*"; }
passed=0
failed=0
count_jest() { # numbers from jest's JSON report
  passed=$((passed + $(node -p "require('./$1').numPassedTests"))); failed=$((failed + $(node -p "require('./$1').numFailedTests")))
}

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

# Airflow's Python, which the DAG's tests need (constructs/versions.ts; read once npm ci has run).
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
PYTHON=${PYTHON:-python$(kp_versions_ts v.AIRFLOW_PYTHON_VERSION)}

step "TypeScript type check (strict)"
npx tsc --noEmit -p .

step "linters: eslint (TypeScript), ruff (Python), shellcheck (shell scripts)"
if PYTHON=$PYTHON bash scripts/lint.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "jest: plan snapshots and assertions, validation, job units"
jest_status=0
npx jest --ci --json --outputFile=.cache/reports/jest.json || jest_status=$?
count_jest .cache/reports/jest.json
[ "$jest_status" -eq 0 ] || { echo "jest failed"; echo "tests: $passed passed, $failed failed"; exit "$jest_status"; }

step "Python test environment ($KP_CACHE_DIR/test-venv, pinned)"
venv=$KP_CACHE_DIR/test-venv
digest=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [[ "$(cat "$venv/.pins-digest" 2>/dev/null)" != "$digest" ]]; then
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$digest" >"$venv/.pins-digest"
fi

step "pytest: DAG and Spark job transforms (local Spark)"
pytest_status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml=.cache/reports/pytest.xml tests_py || pytest_status=$?
read -r py_tests py_failures py_errors < <("$venv/bin/python" -c "
import xml.etree.ElementTree as E; s=E.parse('.cache/reports/pytest.xml').getroot(); s=s if s.tag=='testsuite' else s[0]
print(int(s.get('tests'))-int(s.get('skipped',0)), s.get('failures'), s.get('errors'))")
passed=$((passed + py_tests - py_failures - py_errors)); failed=$((failed + py_failures + py_errors))
[ "$pytest_status" -eq 0 ] || { echo "pytest failed"; echo "tests: $passed passed, $failed failed"; exit "$pytest_status"; }

step "the DAG loads in a real Airflow of the pinned version"
if PYTHON=$PYTHON bash scripts/check-dag-loads.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "airflow-init in that Airflow: admin created, then reset on a kept database; a wrong Fernet key stops it"
if bash scripts/check-airflow-init.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "PostgreSQL's start script on a real PostgreSQL: roles per purpose, their databases and passwords, on a kept cluster and a new one"
if bash scripts/check-postgres-roles.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "terraform validate of the synthesized plan, real providers built from Go modules"
if bash scripts/validate-plan.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "the README's route: npm run up (its own choices), the DAG triggered as its summary says, npm run status, npm run down"
if bash scripts/check-up-down.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "a swarm of three hosts on this machine (scripts/swarm-hosts.sh): joined, labelled, a registry on the manager that the others pull an image from by digest, an overlay network across them, a host cut off and back, nothing left after down"
if bash scripts/check-swarm-hosts.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "tests: $passed passed, $failed failed"; exit 1; fi

step "end to end: cdktf deploy on a real Docker engine with host-built images, the pipeline, the Airflow UI, cdktf destroy"
e2e_status=0
bash scripts/e2e.sh || e2e_status=$?
if [[ -f .cache/reports/jest-e2e.json ]]; then count_jest .cache/reports/jest-e2e.json; else failed=$((failed + 1)); fi
[ "$e2e_status" -eq 0 ] || { echo "end-to-end failed"; echo "tests: $passed passed, $failed failed"; exit "$e2e_status"; }

echo
echo "tests: $passed passed, $failed failed"
