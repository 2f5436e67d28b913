#!/usr/bin/env bash
# A Docker Swarm of several hosts on this one machine, for the swarm target's proof: each host is a
# network namespace with its own dockerd (scripts/docker-engine.sh with KP_DOCKER_NETNS: own data root,
# exec root, socket, pidfile and hostname), all on one bridge, joined into one swarm whose manager is
# host 1. A user with a real swarm needs none of this: point DOCKER_HOST at its manager.
#
#   scripts/swarm-hosts.sh up N      hosts 1..N (1 to 9; what exists is kept), the swarm initialised on
#                                    host 1, the others joined as workers, every node labelled
#                                    kp.host=host-I and Ready
#   scripts/swarm-hosts.sh down      stop every host's dockerd by its pid, then delete the namespaces,
#                                    links, bridge and the hosts' data
#   scripts/swarm-hosts.sh env [I]   print `export DOCKER_HOST=unix://…` for host I (default 1, the manager)
#   scripts/swarm-hosts.sh status    one line per host: name, address, dockerd pid, swarm state
#   scripts/swarm-hosts.sh cut I     take host I's link down: it is lost to the others (its dockerd runs on)
#   scripts/swarm-hosts.sh mend I    bring host I's link up again
#   scripts/swarm-hosts.sh registry  a registry service on the manager (kafka-pipelining/registry, built on this
#                                    machine's engine), TLS with a certificate made here for its address; prints
#                                    host:port, what KP_SWARM_REGISTRY takes (with KP_SWARM_REGISTRY_INSECURE=true)
#   scripts/swarm-hosts.sh push IMAGE...  copy images from this machine's engine ($DOCKER_HOST) into that registry,
#                                    through the manager's engine; prints each as every node pulls it, by digest
#
# Addresses: the bridge kpswarm0 is $KP_SWARM_SUBNET.1/24 on this machine, host I is $KP_SWARM_SUBNET.(10+I)
# on its eth0, the registry host 1's port $KP_SWARM_REGISTRY_PORT; every host's engine takes it as an insecure
# registry (its certificate is self-signed). Environment: KP_SWARM_DIR (default $KP_CACHE_DIR/swarm),
# KP_SWARM_SUBNET (three octets, default 10.231.0), KP_SWARM_READY_TIMEOUT (s, default 120),
# KP_SWARM_REGISTRY_PORT (default 5000).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${KP_SWARM_DIR:-${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}/swarm}
subnet=${KP_SWARM_SUBNET:-10.231.0}
ready_timeout=${KP_SWARM_READY_TIMEOUT:-120}
registry_port=${KP_SWARM_REGISTRY_PORT:-5000}
bridge=kpswarm0
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
max_hosts=9

say() { printf 'swarm-hosts: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

netns_of() { printf 'kp-swarm-%s\n' "$1"; }
link_of() { printf 'kpsw%s\n' "$1"; }
address_of() { printf '%s.%s\n' "$subnet" "$((10 + $1))"; }
host_dir() { printf '%s/host-%s\n' "$dir" "$1"; }
engine() { KP_DOCKER_DIR=$(host_dir "$1") KP_DOCKER_NETNS=$(netns_of "$1") bash "$root/scripts/docker-engine.sh" "${@:2}"; }
on_host() { DOCKER_HOST=unix://$(host_dir "$1")/docker.sock "$DOCKER_CLI" "${@:2}"; }
registry_address() { printf '%s:%s\n' "$(address_of 1)" "$registry_port"; }
swarm_state() { on_host "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unreachable; }

# The hosts that have a directory, in order.
known_hosts() {
  local d
  for d in "$dir"/host-*; do
    if [[ -d "$d" ]]; then printf '%s\n' "${d##*/host-}"; fi
  done | sort -n
}

make_bridge() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  # This machine's own engine sets FORWARD to DROP; with br_netfilter loaded that would also drop
  # frames bridged between two hosts, so traffic within the bridge is let through first.
  if command -v iptables >/dev/null 2>&1 && ! iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD 1 -i "$bridge" -o "$bridge" -j ACCEPT
  fi
}

make_host_network() {
  local i=$1 ns link
  ns=$(netns_of "$i") link=$(link_of "$i")
  ip netns list | grep -qw "^$ns" || ip netns add "$ns"
  if ! ip link show "$link" >/dev/null 2>&1; then
    ip link add "$link" type veth peer name eth0 netns "$ns"
    ip -n "$ns" addr add "$(address_of "$i")/24" dev eth0
  fi
  ip link set "$link" master "$bridge" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$subnet.1"
}

join_swarm() {
  local i=$1 manager_address token
  manager_address=$(address_of 1)
  if ((i == 1)); then
    [[ "$(swarm_state 1)" == active ]] \
      || on_host 1 swarm init --advertise-addr "$manager_address" --listen-addr "$manager_address:2377" >/dev/null
    return
  fi
  [[ "$(swarm_state "$i")" == active ]] && return
  token=$(on_host 1 swarm join-token --quiet worker)
  on_host "$i" swarm join --token "$token" --advertise-addr "$(address_of "$i")" \
    --listen-addr "$(address_of "$i"):2377" "$manager_address:2377" >/dev/null
}

label_node() {
  local i=$1 node
  node=$(on_host "$i" info --format '{{.Swarm.NodeID}}')
  on_host 1 node update --label-add "kp.host=host-$i" "$node" >/dev/null
}

wait_ready() {
  local n=$1 deadline=$((SECONDS + ready_timeout)) ready=0
  while ((SECONDS < deadline)); do
    ready=$(on_host 1 node ls --format '{{.Status}} {{.Availability}}' | grep -c '^Ready Active$' || true)
    ((ready >= n)) && return 0
    sleep 1
  done
  on_host 1 node ls >&2 || true
  fail "$ready of $n nodes Ready and Active after ${ready_timeout}s"
}

up() {
  local n=${1:-}
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1 || n > max_hosts)); then
    fail "up N: N is the number of hosts, 1 to $max_hosts (got '$n')"
  fi
  local extra
  extra=$(known_hosts | awk -v n="$n" '$1 > n' | tr '\n' ' ')
  [[ -z "$extra" ]] || fail "hosts $extra exist beyond $n; run '$0 down' first to shrink the swarm"
  make_bridge
  local i
  for ((i = 1; i <= n; i++)); do
    make_host_network "$i"
    # The hosts reach nothing beyond the bridge, so this machine's resolver is out of their reach, and the swarm's DNS
    # leaves a name it does not know (a service not yet healthy) unanswered: glibc's 5 s timeout, twice, for each address
    # family, 20 s per look-up, and a KRaft broker resolves its voters many times before it opens a listener. One try of
    # 1 s fails such a look-up in 2 s, as a resolver that answers would at once.
    KP_DOCKER_HOSTNAME=host-$i KP_DOCKER_ARGS="--insecure-registry $(registry_address) --dns-opt timeout:1 --dns-opt attempts:1" engine "$i" start
    join_swarm "$i"
  done
  for ((i = 1; i <= n; i++)); do label_node "$i"; done
  wait_ready "$n"
  say "$n hosts in one swarm; manager: DOCKER_HOST=unix://$(host_dir 1)/docker.sock ($(address_of 1))"
}

down() {
  local i
  for i in $(known_hosts); do
    say "host-$i: stopping its engine"
    engine "$i" stop || say "host-$i: its engine did not stop cleanly"
  done
  for i in $(known_hosts) $(ip netns list | sed -n 's/^kp-swarm-\([0-9]*\).*/\1/p'); do
    ip netns del "$(netns_of "$i")" 2>/dev/null || true
    ip link del "$(link_of "$i")" 2>/dev/null || true
  done
  if command -v iptables >/dev/null 2>&1; then
    while iptables -D FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; do :; done
  fi
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$dir"
  say "no swarm hosts left"
}

status() {
  local i pid
  for i in $(known_hosts); do
    pid=$(cat "$(host_dir "$i")/dockerd.pid" 2>/dev/null || echo -)
    printf 'host-%s %s pid=%s swarm=%s\n' "$i" "$(address_of "$i")" "$pid" "$(swarm_state "$i")"
  done
}

# The registry every node pulls from, as a service pinned to the manager: blobs in a volume there, TLS with a key
# and self-signed certificate for its address made once per swarm (readable by the registry's own user: a test
# cluster's key, in the swarm's directory).
registry() {
  host_arg 1
  # shellcheck source=scripts/versions.sh
  source "$root/scripts/versions.sh"
  local certs=$dir/registry image
  image=$(kp_versions_ts 'v.HOST_IMAGE_NAMESPACE + "/registry:" + v.IMAGES.registry.tag')
  if [[ ! -s "$certs/registry.crt" ]]; then
    mkdir -p "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$(address_of 1)" -addext "subjectAltName=IP:$(address_of 1)" \
      -keyout "$certs/registry.key" -out "$certs/registry.crt" 2>/dev/null
    chmod 644 "$certs/registry.key"
  fi
  on_host 1 image inspect "$image" >/dev/null 2>&1 || "$DOCKER_CLI" save "$image" | on_host 1 load -q >/dev/null
  if ! on_host 1 service inspect kp-swarm-registry >/dev/null 2>&1; then
    on_host 1 service create --detach --quiet --no-resolve-image --name kp-swarm-registry --constraint node.role==manager \
      --publish "mode=host,target=5000,published=$registry_port" \
      --mount "type=bind,source=$certs,target=/certs,readonly" --mount type=volume,source=kp-swarm-registry,target=/var/lib/registry \
      --env REGISTRY_HTTP_TLS_CERTIFICATE=/certs/registry.crt --env REGISTRY_HTTP_TLS_KEY=/certs/registry.key "$image" >/dev/null
  fi
  local deadline=$((SECONDS + ready_timeout))
  until curl -fsk -o /dev/null "https://$(registry_address)/v2/"; do
    ((SECONDS < deadline)) || fail "the registry does not answer on https://$(registry_address)/v2/ after ${ready_timeout}s"
    sleep 1
  done
  say "registry on the manager: $(registry_address)"
  registry_address
}

push() {
  (($# > 0)) || fail "push IMAGE...: name the images"
  curl -fsk -o /dev/null "https://$(registry_address)/v2/" || fail "no registry answers on $(registry_address): run '$0 registry' first"
  local image target
  for image in "$@"; do
    target=$(registry_address)/$image
    "$DOCKER_CLI" save "$image" | on_host 1 load -q >/dev/null
    on_host 1 tag "$image" "$target"
    on_host 1 push -q "$target" >/dev/null
    on_host 1 image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$target" | grep -m1 "^$(registry_address)/${image%:*}@sha256:" \
      || fail "$target has no digest after its push"
  done
}

host_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ && -d "$(host_dir "${1:-0}")" ]] || fail "no host '${1:-}' (hosts: $(known_hosts | tr '\n' ' '))"
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  env) host_arg "${2:-1}" && printf 'export DOCKER_HOST=unix://%s/docker.sock\n' "$(host_dir "${2:-1}")" ;;
  status) status ;;
  cut) host_arg "${2:-}" && ip link set "$(link_of "$2")" down ;;
  mend) host_arg "${2:-}" && ip link set "$(link_of "$2")" up ;;
  registry) registry ;;
  push) push "${@:2}" ;;
  *) echo "usage: $0 up N | down | env [I] | status | cut I | mend I | registry | push IMAGE..." >&2; exit 2 ;;
esac
