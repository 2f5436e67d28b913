#!/usr/bin/env bash
# The Cassandra container's health check: this node has joined the ring (it is Up and Normal, UN in
# `nodetool status`) and serves CQL through its authentication.
#
#   bash cassandra-health.sh CREDENTIALS_FILE
#
# It logs in as the read-only role of the credentials file (cqlsh's own format, readable by root alone, so the
# password is on no command line) and reads system.local: the node serves CQL only once it has joined the ring,
# and `bootstrapped` is COMPLETED only once it has its share of the data. That is every check of a running ring.
#
# The node may refuse that login while it serves, after reading its roles: on a new node (or a kept one, before
# this deploy's password) the role gets its password only from the cassandra-roles job, which runs once every
# node passes this check; and while a new ring forms, system_auth has more copies than nodes up, so no login
# finds the quorum it reads at. Then the node's own word decides, over JMX (a JVM start, which a running ring's
# checks never pay): healthy when nodetool says its mode is NORMAL.
set -uo pipefail

out=$(cqlsh --credentials "$1" -e 'SELECT bootstrapped FROM system.local' 2>&1)
status=$?
if [[ $status -eq 0 ]]; then
  grep -q COMPLETED <<<"$out" && exit 0
  printf 'the node serves CQL, but has not completed its bootstrap: %s\n' "$(tr -s ' \n' ' ' <<<"$out")"
  exit 1
fi
if grep -qE 'and/or password are incorrect|Unable to perform authentication' <<<"$out"; then
  mode=$(nodetool netstats 2>&1 | sed -n 's/^Mode: *//p')
  [[ "$mode" == NORMAL ]] && exit 0
  printf 'the node refuses the login and its mode is %s, not NORMAL\n' "${mode:-unknown}"
  exit 1
fi
printf '%s\n' "$out" | tail -n 3
exit 1
