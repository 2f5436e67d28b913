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

# One Python process for the rest: each Airflow process start costs seconds of a core at every deploy.
# A kept database read with another key would serve failing connections and variables without a value:
# stop the deploy instead, naming them, before the admin is touched. Then the admin's password is reset
# rather than the admin re-created, so it keeps its id, roles and anything tied to it.
python - <<'PY'
import os
import sys

from cryptography.fernet import InvalidToken
from sqlalchemy import text

from airflow.models.crypto import get_fernet
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
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

username, password = os.environ["AIRFLOW_ADMIN_USERNAME"], os.environ["AIRFLOW_ADMIN_PASSWORD"]
with get_application_builder() as appbuilder:
    security = appbuilder.sm
    admin = security.find_user(username=username)
    if admin:
        if not security.reset_password(admin.id, password):
            sys.exit(f"ERROR: the password of the Airflow user {username!r} could not be reset")
        print(f'User "{username}" password reset successfully')
    else:
        role = security.find_role("Admin")
        if not role or not security.add_user(username, "Platform", "Admin", os.environ["AIRFLOW_ADMIN_EMAIL"], role, password):
            sys.exit(f"ERROR: the Airflow user {username!r} could not be created with the role Admin")
        print(f'User "{username}" created with role "Admin"')
PY
