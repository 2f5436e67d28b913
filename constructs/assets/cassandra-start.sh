#!/usr/bin/env bash
# The Cassandra container's command, in front of the image's own entrypoint (the official image's and the
# host-built one's, images/cassandra/host/docker-entrypoint.sh, behave alike here):
#
#   bash cassandra-start.sh
#
# Neither entrypoint sets authentication, so this turns it on in cassandra.yaml at every start:
# PasswordAuthenticator (logins checked against system_auth.roles), CassandraAuthorizer (permissions in
# system_auth.role_permissions) and CassandraRoleManager, which both need. Each key's block is replaced whichever
# form the file gives it (`key: Class` or `key:` with an indented `class_name:`), so the file of either image works.
# Then the entrypoint takes over as usual (as root it steps down to the cassandra user) and starts the node.
# The roles themselves are applied by the cassandra-roles job once the node serves CQL (jobs/cassandra-roles.ts).
set -Eeuo pipefail

yaml=${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml

settings='authenticator:
  class_name: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager'

# Every top-level line of the keys above and the indented lines under it dropped, then the settings appended.
# Written over the file in place, so that its owner and mode stay the image's.
replaced=$(awk '
  /^[A-Za-z_]+:/ {
    key = substr($0, 1, index($0, ":") - 1)
    skipping = (key == "authenticator" || key == "authorizer" || key == "role_manager")
    if (skipping) next
  }
  skipping && /^[ \t]/ { next }
  { skipping = 0; print }
' "$yaml")
printf '%s\n%s\n' "$replaced" "$settings" >"$yaml"
printf 'cassandra-start.sh: %s\n' "$(tr '\n' ' ' <<<"$settings" | tr -s ' ')" >&2

exec docker-entrypoint.sh cassandra -f
