#!/usr/bin/env bash
# The official cassandra image's entrypoint contract:
#
#   docker-entrypoint.sh cassandra -f      (the default command)
#
# As root: gives /var/lib/cassandra, /var/log/cassandra and $CASSANDRA_CONF to user cassandra and
# re-executes itself as cassandra (setpriv). Then, at every start, writes into cassandra.yaml:
#   listen_address          CASSANDRA_LISTEN_ADDRESS, default `auto`: the container's IP address
#   broadcast_address       CASSANDRA_BROADCAST_ADDRESS, default the listen address
#   rpc_address             CASSANDRA_RPC_ADDRESS, default 0.0.0.0
#   broadcast_rpc_address   CASSANDRA_BROADCAST_RPC_ADDRESS, default the broadcast address
#   seeds                   CASSANDRA_SEEDS, default the broadcast address (a one-node cluster)
#   cluster_name, num_tokens, endpoint_snitch
#                           CASSANDRA_CLUSTER_NAME, CASSANDRA_NUM_TOKENS, CASSANDRA_ENDPOINT_SNITCH
#                           (when set)
# and dc / rack of cassandra-rackdc.properties (GossipingPropertyFileSnitch) from CASSANDRA_DC /
# CASSANDRA_RACK (when set). MAX_HEAP_SIZE, HEAP_NEWSIZE and JVM_OPTS go to bin/cassandra as they
# are. A first argument starting with '-' means `cassandra -f <args>`; any other command runs as is.
set -Eeuo pipefail

CASSANDRA_CONF=${CASSANDRA_CONF:-/etc/cassandra}

if [[ $# -eq 0 || "${1:0:1}" == - ]]; then
  set -- cassandra -f "$@"
fi

if [[ "$1" == cassandra && "$(id -u)" == 0 ]]; then
  mkdir -p /var/lib/cassandra /var/log/cassandra
  find "$CASSANDRA_CONF" /var/lib/cassandra /var/log/cassandra \! -user cassandra -exec chown cassandra:cassandra '{}' +
  exec setpriv --reuid=cassandra --regid=cassandra --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

if [[ "$1" != cassandra ]]; then
  exec "$@"
fi

yaml=$CASSANDRA_CONF/cassandra.yaml
rackdc=$CASSANDRA_CONF/cassandra-rackdc.properties

# The first IPv4 address of this container (hostname -i lists those /etc/hosts gives its name).
container_ip() {
  local ip
  for ip in $(hostname --all-ip-addresses 2>/dev/null || true) $(hostname -i 2>/dev/null || true); do
    if [[ "$ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && "$ip" != 127.* ]]; then
      echo "$ip"; return 0
    fi
  done
  echo "docker-entrypoint.sh: cannot find this container's IPv4 address; set CASSANDRA_LISTEN_ADDRESS" >&2
  return 1
}

# set_yaml KEY VALUE: the value of a top-level key, commented out or not.
set_yaml() {
  local key=$1 value=$2 escaped
  escaped=$(printf '%s' "$value" | sed -e 's/[\/&|]/\\&/g')
  if grep -qE "^(# )?$key:" "$yaml"; then
    sed -ri "s|^(# )?($key:).*|\\2 $escaped|" "$yaml"
  else
    printf '%s: %s\n' "$key" "$value" >>"$yaml"
  fi
}

# set_property FILE KEY VALUE
set_property() {
  local file=$1 key=$2 value=$3 escaped
  escaped=$(printf '%s' "$value" | sed -e 's/[\/&|]/\\&/g')
  if grep -qE "^$key=" "$file"; then
    sed -ri "s|^($key=).*|\\1$escaped|" "$file"
  else
    printf '%s=%s\n' "$key" "$value" >>"$file"
  fi
}

listen=${CASSANDRA_LISTEN_ADDRESS:-auto}
[[ "$listen" != auto ]] || listen=$(container_ip)
broadcast=${CASSANDRA_BROADCAST_ADDRESS:-auto}
[[ "$broadcast" != auto ]] || broadcast=$listen
rpc=${CASSANDRA_RPC_ADDRESS:-0.0.0.0}
broadcast_rpc=${CASSANDRA_BROADCAST_RPC_ADDRESS:-$broadcast}
seeds=${CASSANDRA_SEEDS:-$broadcast}

set_yaml listen_address "$listen"
set_yaml broadcast_address "$broadcast"
set_yaml rpc_address "$rpc"
set_yaml broadcast_rpc_address "$broadcast_rpc"
sed -ri "s|^(\s*- seeds:).*|\\1 \"$seeds\"|" "$yaml"

# YAML single-quoted scalar: quotes doubled.
[[ -z "${CASSANDRA_CLUSTER_NAME:-}" ]] || set_yaml cluster_name "'${CASSANDRA_CLUSTER_NAME//\'/\'\'}'"
[[ -z "${CASSANDRA_NUM_TOKENS:-}" ]] || set_yaml num_tokens "$CASSANDRA_NUM_TOKENS"
[[ -z "${CASSANDRA_ENDPOINT_SNITCH:-}" ]] || set_yaml endpoint_snitch "$CASSANDRA_ENDPOINT_SNITCH"
[[ -z "${CASSANDRA_DC:-}" ]] || set_property "$rackdc" dc "$CASSANDRA_DC"
[[ -z "${CASSANDRA_RACK:-}" ]] || set_property "$rackdc" rack "$CASSANDRA_RACK"

printf 'docker-entrypoint.sh: listen %s, broadcast %s, rpc %s (broadcast %s), seeds %s, snitch %s, %s\n' \
  "$listen" "$broadcast" "$rpc" "$broadcast_rpc" "$seeds" \
  "$(sed -n 's/^endpoint_snitch: *//p' "$yaml")" "$(grep -E '^(dc|rack)=' "$rackdc" | paste -sd' ')" >&2

exec "$@"
