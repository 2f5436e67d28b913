#!/usr/bin/env bash
# Proves constructs/assets/airflow-init.sh against the pinned Airflow (the venv that
# scripts/check-dag-loads.sh installs, FAB auth manager included) on a SQLite metadata database, as the
# airflow-init container runs it on every deploy, the Fernet key read through
# AIRFLOW__CORE__FERNET_KEY_CMD from a file as from the key's volume:
#   1. a new database: migrated, the admin created with the deployed password;
#   2. that database kept (retainVolumes), holding an encrypted connection and variable, and a new
#      deploy's password: the admin keeps its id and takes the new password, the old one no longer
#      matches, and the stored values still decrypt; this deploy as on a swarm: the password only in the file
#      AIRFLOW_ADMIN_PASSWORD_FILE names;
#   3. the same database read with another key: the script fails before touching the admin, naming each
#      value it cannot decrypt and the key's volume.
# Needs no running Airflow, database or network.
#
#   scripts/check-airflow-init.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_ROOT=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
VENV=$CACHE_ROOT/airflow-venv
if [[ ! -x "$VENV/bin/airflow" ]]; then
  echo "no Airflow in $VENV: scripts/check-dag-loads.sh installs it" >&2
  exit 1
fi
SCRIPT=$PWD/constructs/assets/airflow-init.sh
VOLUME=kp-airflow-fernet-key

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "airflow-init check FAILED: $*" >&2
  exit 1
}
new_key() { "$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode(), end="")' >"$1"; }

export PATH="$VENV/bin:$PATH" AIRFLOW_HOME="$work/home"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$work/airflow.db"
export AIRFLOW__CORE__AUTH_MANAGER=airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager
export AIRFLOW__CORE__FERNET_KEY_CMD="cat $work/key"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW_ADMIN_USERNAME=admin AIRFLOW_ADMIN_EMAIL=admin@example.invalid FERNET_KEY_VOLUME=$VOLUME
mkdir -p "$AIRFLOW_HOME"

# airflow-init.sh with the given admin password (as a swarm gives it, in a file, when $3 is `file`); its output in
# $work/<log>.log, its exit status returned.
run_init() {
  local status=0
  if [[ "${3:-}" == file ]]; then
    printf '%s\n' "$1" >"$work/admin-password"
    AIRFLOW_ADMIN_PASSWORD_FILE=$work/admin-password bash "$SCRIPT" >"$work/$2.log" 2>&1 || status=$?
  else
    AIRFLOW_ADMIN_PASSWORD=$1 bash "$SCRIPT" >"$work/$2.log" 2>&1 || status=$?
  fi
  return "$status"
}

# Prints `admin <id> <matches $1> <matches $2>` and, with $3, the stored connection's password and
# extra and the variable's value, decrypted; stores them first with $4.
inspect() {
  "$VENV/bin/python" - "$@" <<'PY' 2>/dev/null | grep '^RESULT ' | cut -d' ' -f2-
import sys

from sqlalchemy import select
from werkzeug.security import check_password_hash

from airflow.models.connection import Connection
from airflow.models.variable import Variable
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from airflow.utils.session import create_session

new, old, item, store = (sys.argv[1:] + ["", ""])[:4]
if store:
    with create_session() as session:
        session.add(Connection(conn_id=item, conn_type="generic", password=store, extra=f'{{"marker": "{store}"}}'))
        session.add(Variable(key=item, val=store))
with get_application_builder() as appbuilder:
    user = appbuilder.sm.find_user(username="admin")
    print("RESULT admin", user.id, check_password_hash(user.password, new), check_password_hash(user.password, old))
if item:
    with create_session() as session:
        connection = session.scalar(select(Connection).where(Connection.conn_id == item))
        variable = session.scalar(select(Variable).where(Variable.key == item))
        print("RESULT stored", connection.is_encrypted, connection.is_extra_encrypted, variable.is_encrypted, connection.password, connection.extra, variable.val)
PY
}

started=$SECONDS
new_key "$work/key"
run_init first-password first || fail "a new database: exit $?"$'\n'"$(tail -20 "$work/first.log")"
grep -q '^User "admin" created with role "Admin"$' "$work/first.log" || fail "the admin was not created:"$'\n'"$(tail -20 "$work/first.log")"
read -r _ id_first _ _ < <(inspect first-password none)
read -r _ _ _ _ < <(inspect first-password none e2e_item stored-secret)

run_init second-password second file || fail "a kept database: exit $?"$'\n'"$(tail -20 "$work/second.log")"
grep -q '^Fernet key: all 3 encrypted value(s) in the metadata database decrypt$' "$work/second.log" ||
  fail "the kept connection and variable were not checked:"$'\n'"$(tail -20 "$work/second.log")"
grep -q '^User "admin" password reset successfully$' "$work/second.log" || fail "the admin's password was not reset:"$'\n'"$(tail -20 "$work/second.log")"
mapfile -t results < <(inspect second-password first-password e2e_item)
[[ "${results[0]}" == "admin $id_first True False" ]] ||
  fail "after the second deploy the admin must keep id $id_first and take the new password only, got '${results[0]}'"
[[ "${results[1]}" == 'stored True True True stored-secret {"marker": "stored-secret"} stored-secret' ]] ||
  fail "the stored connection and variable must stay encrypted and decrypt, got '${results[1]}'"

new_key "$work/key"
if run_init third-password third; then fail "a database read with another key must stop the deploy"; fi
grep -qxF "ERROR: the Fernet key cannot decrypt 3 stored value(s): connection 'e2e_item' (password), connection 'e2e_item' (extra), variable 'e2e_item'." "$work/third.log" ||
  fail "the failure must name each value:"$'\n'"$(tail -20 "$work/third.log")"
grep -qF "put that one back in the volume $VOLUME" "$work/third.log" || fail "the failure must name the key's volume"
if grep -q 'password reset' "$work/third.log"; then fail "the admin must be left alone when the key does not match"; fi
for log in first second third; do
  if grep -qE 'first-password|second-password|third-password|stored-secret' "$work/$log.log"; then fail "a password or stored secret is in the output of the $log run"; fi
done
echo "airflow-init check passed in $((SECONDS - started))s: admin created, then reset in place (id $id_first, old password refused); kept values decrypt; another key stops it naming them"
