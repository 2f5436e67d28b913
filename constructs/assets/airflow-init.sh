#!/usr/bin/env bash
# Runs once per deploy, before any Airflow component starts: migrates the metadata database, then makes
# the admin user match the generated password (a retained database may hold an older one).
set -euo pipefail
airflow db migrate
if airflow users list --output plain | awk 'NR > 1 { print $2 }' | grep -qx "${AIRFLOW_ADMIN_USERNAME}"; then
  airflow users delete --username "${AIRFLOW_ADMIN_USERNAME}"
fi
airflow users create \
  --username "${AIRFLOW_ADMIN_USERNAME}" \
  --password "${AIRFLOW_ADMIN_PASSWORD}" \
  --firstname Platform --lastname Admin \
  --email "${AIRFLOW_ADMIN_EMAIL}" \
  --role Admin
