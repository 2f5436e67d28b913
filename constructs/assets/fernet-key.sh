#!/usr/bin/env bash
# Makes Airflow's Fernet key once, on its own volume, and keeps it there:
#
#   bash fernet-key.sh KEY_FILE OWNER
#
# Airflow encrypts connections' passwords and extras and variables' values in its metadata database
# with this key, so the key must live exactly as long as that database: a key generated per deploy would
# leave a database kept across `cdktf destroy` and `cdktf deploy` (retainVolumes) unreadable. Runs as
# root, since a new volume's directory belongs to root, and leaves the key readable by OWNER (the Airflow
# user) alone. An existing key is never replaced, and one that is not a Fernet key (or a comma-separated
# list of them, Airflow's form for rotating keys) stops the deploy instead.
set -euo pipefail

key=${1:?usage: fernet-key.sh KEY_FILE OWNER}
owner=${2:?usage: fernet-key.sh KEY_FILE OWNER}
directory=$(dirname "$key")
umask 077

if [[ -s "$key" ]]; then
  if ! grep -Eqx '[A-Za-z0-9_-]{43}=(,[A-Za-z0-9_-]{43}=)*' "$key"; then
    echo "ERROR: $key holds no Fernet key (44 characters of URL-safe base64, or a comma-separated list of them)." >&2
    echo "It is left as it is: Airflow's stored connections and variables are readable only with the key they were" >&2
    echo "encrypted with. Put that key back, or, if nothing encrypted is kept, remove the file to have a new key made." >&2
    exit 1
  fi
  echo "kept the Fernet key in $key"
else
  # 32 random bytes in URL-safe base64, on one line without a newline: what Fernet.generate_key() makes.
  head -c 32 /dev/urandom | base64 -w 0 | tr '+/' '-_' >"$key.new"
  mv "$key.new" "$key"
  echo "made a new Fernet key in $key"
fi
chown "$owner:0" "$directory" "$key"
chmod 0550 "$directory"
chmod 0440 "$key"
