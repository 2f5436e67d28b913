#!/usr/bin/env bash
# Runs once per deploy, before any Airflow component starts: migrates the metadata database, checks that
# what it stores encrypted is readable with the Fernet key, then makes the admin's password the generated
# one (a database kept from an earlier deploy holds an older one). On a swarm that password is a file
# (AIRFLOW_ADMIN_PASSWORD_FILE, secret-files.sh); Airflow reads its own secret settings through _CMD.
set -euo pipefail
# shellcheck source=constructs/assets/secret-files.sh
source "$(dirname "${BASH_SOURCE[0]}")/secret-files.sh"
read_secret_files AIRFLOW_ADMIN_PASSWORD
airflow db migrate

# A kept database read with another key would serve failing connections and variables without a value;
# stop the deploy instead, naming them.
python - <<'PY'
import os
import sys

from cryptography.fernet import InvalidToken
from sqlalchemy import text

from airflow.models.crypto import get_fernet
from airflow.utils.session import create_session

fernet = get_fernet()
encrypted = []
with create_session() as session:
    for conn_id, password, extra in session.execute(text(
        "SELECT conn_id, CASE WHEN is_encrypted THEN password END, CASE WHEN is_extra_encrypted THEN extra END FROM connection"
    )):
        encrypted += [(f"connection {conn_id!r} ({field})", value) for field, value in (("password", password), ("extra", extra)) if value]
    encrypted += [(f"variable {key!r}", value) for key, value in session.execute(text("SELECT key, val FROM variable WHERE is_encrypted"))]
unreadable = []
for name, value in encrypted:
    try:
        fernet.decrypt(value.encode())
    except InvalidToken:
        unreadable.append(name)
if unreadable:
    print(f"ERROR: the Fernet key cannot decrypt {len(unreadable)} stored value(s): {', '.join(unreadable)}.", file=sys.stderr)
    volume = os.environ["FERNET_KEY_VOLUME"]
    print(f"They were encrypted with another key: put that one back in the volume {volume}.", file=sys.stderr)
    sys.exit(1)
print(f"Fernet key: all {len(encrypted)} encrypted value(s) in the metadata database decrypt")
PY

# Reset rather than re-create: the admin keeps its id, roles and anything tied to it.
if airflow users list --output plain | awk 'NR > 1 { print $2 }' | grep -qx "${AIRFLOW_ADMIN_USERNAME}"; then
  airflow users reset-password --username "${AIRFLOW_ADMIN_USERNAME}" --password "${AIRFLOW_ADMIN_PASSWORD}"
else
  airflow users create \
    --username "${AIRFLOW_ADMIN_USERNAME}" \
    --password "${AIRFLOW_ADMIN_PASSWORD}" \
    --firstname Platform --lastname Admin \
    --email "${AIRFLOW_ADMIN_EMAIL}" \
    --role Admin
fi
