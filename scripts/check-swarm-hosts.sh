#!/usr/bin/env bash
# scripts/swarm-hosts.sh as the swarm proof's setup uses it: three hosts up, joined, labelled and Ready; the
# registry service on the manager, an image pushed into it and pulled from it by digest on the other hosts; a
# service pinned to host 2 reached by name over the overlay network from host 3, and on the port it publishes
# from this machine; host 3 cut off (Down) and mended (Ready); then down, with no dockerd, namespace, link or
# data left. The project's engine (for the image the hosts load) is stopped again if this started it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export KP_CACHE_DIR=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
export KP_SWARM_DIR=$KP_CACHE_DIR/swarm-check
DOCKER_CLI=/usr/bin/docker
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
image=kafka-pipelining/node:$(kp_versions_ts 'v.IMAGES.node.tag')

fail() { printf 'check-swarm-hosts: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'check-swarm-hosts: %s\n' "$*" >&2; }
on_host() { DOCKER_HOST=unix://$KP_SWARM_DIR/host-$1/docker.sock "$DOCKER_CLI" "${@:2}"; }
node_states() { on_host 1 node ls --format '{{.Hostname}} {{.Status}}' | sort | tr '\n' ' '; }
# Retries a command for up to $1 seconds.
within() {
  local deadline=$((SECONDS + $1))
  until "${@:2}"; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}
states_are() { [[ "$(node_states)" == "$1" ]]; }

engine_before=no
if bash scripts/docker-engine.sh status >/dev/null 2>&1; then engine_before=yes; fi
cleanup() {
  bash scripts/swarm-hosts.sh down >/dev/null 2>&1 || true
  [[ $engine_before == yes ]] || bash scripts/docker-engine.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash scripts/docker-engine.sh start
eval "$(bash scripts/docker-engine.sh env)"
bash scripts/build-host-images.sh node registry >/dev/null

start=$SECONDS
bash scripts/swarm-hosts.sh up 3
say "up 3 in $((SECONDS - start)) s"
within 30 states_are "host-1 Ready host-2 Ready host-3 Ready " || fail "nodes: $(node_states)"
for i in 1 2 3; do
  label=$(on_host 1 node inspect "host-$i" --format '{{index .Spec.Labels "kp.host"}}')
  [[ "$label" == "host-$i" ]] || fail "host-$i is labelled kp.host='$label'"
done

start=$SECONDS
registry=$(bash scripts/swarm-hosts.sh registry)
[[ "$registry" == 10.231.0.11:5000 ]] || fail "the registry is at '$registry', not on the manager's address"
pinned=$(bash scripts/swarm-hosts.sh push "$image")
[[ "$pinned" =~ ^10\.231\.0\.11:5000/kafka-pipelining/node@sha256:[0-9a-f]{64}$ ]] || fail "push printed '$pinned', not the image by digest"
say "registry up and $image pushed in $((SECONDS - start)) s: $pinned"
for i in 2 3; do
  if on_host "$i" image inspect "$image" >/dev/null 2>&1; then fail "host-$i holds $image before any pull: the check would prove nothing"; fi
done
image=$pinned

on_host 1 network create --driver overlay --attachable kp-check-net >/dev/null
on_host 1 service create --detach --quiet --no-resolve-image --name kp-check-listener --network kp-check-net --endpoint-mode dnsrr \
  --constraint node.labels.kp.host==host-2 --publish mode=host,target=7000,published=17000 --entrypoint node "$image" \
  -e "require('net').createServer((socket) => socket.end('listener on ' + require('os').hostname() + '\n')).listen(7000)" >/dev/null
over_overlay() {
  on_host 3 run --rm --network kp-check-net --entrypoint node "$image" -e "
    const socket = require('net').connect(7000, 'kp-check-listener');
    socket.on('data', (d) => { process.stdout.write(d); process.exit(0); });
    socket.on('error', (e) => { console.error(e.message); process.exit(1); });" 2>/dev/null | grep -q 'listener on'
}
published() { timeout 5 bash -c 'exec 3<>/dev/tcp/10.231.0.12/17000 && grep -q "listener on" <&3'; }
within 90 over_overlay || fail "host-3 does not reach the listener on host-2 by name over the overlay network"
say "host-3 reaches the listener on host-2 by name, over the overlay network"
# A name the swarm does not know (a service not yet healthy) must fail at once, not after the resolver's timeouts.
# shellcheck disable=SC2016  # the container's shell expands it
lookup=$(on_host 3 run --rm --network kp-check-net --entrypoint bash "$image" -c \
  'started=$SECONDS; if getent hosts kp-check-nobody >/dev/null; then echo resolved; else echo "$((SECONDS - started))"; fi')
[[ "$lookup" =~ ^[0-9]+$ ]] || fail "looking up kp-check-nobody in a container gave '$lookup'"
((lookup <= 3)) || fail "an unknown name took $lookup s to fail in a container"
say "an unknown name fails in $lookup s in a container"
within 30 published || fail "the listener's published port 17000 does not answer on host-2 (10.231.0.12)"
say "its published port answers on host-2's address"
for i in 2 3; do on_host "$i" image inspect "$pinned" >/dev/null 2>&1 || fail "host-$i did not pull $pinned from the registry"; done
say "host-2 and host-3 pulled the image from the registry by its digest"

bash scripts/swarm-hosts.sh cut 3
within 60 states_are "host-1 Ready host-2 Ready host-3 Down " || fail "host-3 cut off, nodes: $(node_states)"
say "host-3 cut off: Down"
bash scripts/swarm-hosts.sh mend 3
within 60 states_are "host-1 Ready host-2 Ready host-3 Ready " || fail "host-3 mended, nodes: $(node_states)"
say "host-3 mended: Ready"

pids=$(cat "$KP_SWARM_DIR"/host-*/dockerd.pid)
bash scripts/swarm-hosts.sh down
for pid in $pids; do [[ ! -e /proc/$pid ]] || fail "dockerd $pid still runs after down"; done
if ip netns list | grep -q '^kp-swarm-'; then fail "namespaces left: $(ip netns list | tr '\n' ' ')"; fi
if ip link show kpswarm0 >/dev/null 2>&1; then fail "the bridge kpswarm0 is left"; fi
[[ ! -e "$KP_SWARM_DIR" ]] || fail "$KP_SWARM_DIR is left"
say "down: no dockerd, namespace, bridge or data left"
