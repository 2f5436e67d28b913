#!/usr/bin/env bash
# The Cassandra container's command, in front of the image's own entrypoint (the official image's and the
# host-built one's, images/cassandra/host/docker-entrypoint.sh, behave alike here):
#
#   bash cassandra-start.sh
#
# Neither entrypoint sets authentication, so this turns it on in cassandra.yaml at every start:
# PasswordAuthenticator (logins checked against system_auth.roles), CassandraAuthorizer (permissions in
# system_auth.role_permissions) and CassandraRoleManager, which both need. It also sets the commit log's sync
# mode, KP_CASSANDRA_COMMITLOG_SYNC (periodic or group; Cassandra's names), with its window
# KP_CASSANDRA_COMMITLOG_SYNC_WINDOW (e.g. 10000ms, 15ms): commitlog_sync_period for periodic,
# commitlog_sync_group_window for group (Cassandra refuses the other one beside it). Each key's block is replaced
# whichever form the file gives it (`key: Class` or `key:` with an indented `class_name:`), so the file of either
# image works, and a restart (the file already edited) ends the same.
# Then the entrypoint takes over as usual (as root it steps down to the cassandra user) and starts the node.
# The roles themselves are applied by the cassandra-roles job once the node serves CQL (jobs/cassandra-roles.ts).
set -Eeuo pipefail

yaml=${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml
sync=${KP_CASSANDRA_COMMITLOG_SYNC:-periodic}
window=${KP_CASSANDRA_COMMITLOG_SYNC_WINDOW:-10000ms}

case "$sync" in
  periodic) window_key=commitlog_sync_period ;;
  group) window_key=commitlog_sync_group_window ;;
  *)
    printf "cassandra-start.sh: KP_CASSANDRA_COMMITLOG_SYNC must be periodic or group, got '%s'\n" "$sync" >&2
    exit 64
    ;;
esac
[[ "$window" =~ ^[0-9]+ms$ ]] || {
  printf "cassandra-start.sh: KP_CASSANDRA_COMMITLOG_SYNC_WINDOW must be milliseconds such as 15ms, got '%s'\n" "$window" >&2
  exit 64
}

settings="authenticator:
  class_name: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
commitlog_sync: $sync
$window_key: $window"

# Every top-level line of these keys (the settings' and the sync windows' in every spelling Cassandra reads) and the
# indented lines under it dropped, then the settings appended. Written over the file in place, so that its owner
# and mode stay the image's.
keys='authenticator authorizer role_manager commitlog_sync commitlog_sync_period commitlog_sync_period_in_ms'
keys+=' commitlog_sync_group_window commitlog_sync_group_window_in_ms commitlog_sync_batch_window_in_ms'
replaced=$(awk -v keys="$keys" '
  BEGIN { n = split(keys, list, " "); for (i = 1; i <= n; i++) dropped[list[i]] = 1 }
  /^[A-Za-z_]+:/ {
    key = substr($0, 1, index($0, ":") - 1)
    skipping = (key in dropped)
    if (skipping) next
  }
  skipping && /^[ \t]/ { next }
  { skipping = 0; print }
' "$yaml")
printf '%s\n%s\n' "$replaced" "$settings" >"$yaml"
printf 'cassandra-start.sh: %s\n' "$(tr '\n' ' ' <<<"$settings" | tr -s ' ')" >&2

exec docker-entrypoint.sh cassandra -f
