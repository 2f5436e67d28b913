#!/usr/bin/env bash
# The Cassandra container's health check: a CQL round trip through the node's authentication.
#
#   bash cassandra-health.sh CREDENTIALS_FILE
#
# It logs in as the read-only role of the credentials file (cqlsh's own format, readable by root alone, so the
# password is on no command line) and reads system.local. Healthy too when the node itself refuses that login
# for its password, after reading its roles: on a new node (or a kept one, before this deploy's password) the role
# gets its password only from the cassandra-roles job, which runs once this check passes.
set -uo pipefail

out=$(cqlsh --credentials "$1" -e 'SELECT release_version FROM system.local' 2>&1) && exit 0
grep -q 'and/or password are incorrect' <<<"$out" && exit 0
printf '%s\n' "$out" | tail -n 3
exit 1
