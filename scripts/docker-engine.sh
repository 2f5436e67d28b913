#!/usr/bin/env bash
# A private Docker engine for this checkout: Debian's dockerd (package docker.io) run as root with its
# own data root, exec root, socket, pidfile and log under $KP_CACHE_DIR/docker (outside the clone), so it
# never touches a system engine at /var/run/docker.sock.
#
#   scripts/docker-engine.sh start    install docker.io + debootstrap if dockerd is absent, start the
#                                     engine, wait until `docker info` answers (idempotent)
#   scripts/docker-engine.sh env      print `export DOCKER_HOST=unix://…` (eval "$(… env)")
#   scripts/docker-engine.sh status   exit 0 if the engine answers, 1 if not
#   scripts/docker-engine.sh stop     stop the engine by its pid: TERM, wait, then KILL
#
# Environment: KP_DOCKER_DIR (default $KP_CACHE_DIR/docker), KP_DOCKER_START_TIMEOUT (s, default 90),
# KP_DOCKER_STOP_TIMEOUT (s, default 60). For one host of a test swarm (scripts/swarm-hosts.sh):
# KP_DOCKER_NETNS (a network namespace made with `ip netns add`; the engine runs in it, with its own
# hostname, KP_DOCKER_HOSTNAME, default the namespace's name) and KP_DOCKER_ARGS (more dockerd flags).
# Talk to it with Debian's client, /usr/bin/docker, which matches the engine (a newer client also
# works but warns that the legacy builder is deprecated).
set -euo pipefail

dir=${KP_DOCKER_DIR:-${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}/docker}
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid
log=$dir/dockerd.log
data_root=$dir/data
exec_root=$dir/exec
netns=${KP_DOCKER_NETNS:-}
hostname=${KP_DOCKER_HOSTNAME:-$netns}
read -r -a extra_args <<<"${KP_DOCKER_ARGS:-}"
start_timeout=${KP_DOCKER_START_TIMEOUT:-90}
stop_timeout=${KP_DOCKER_STOP_TIMEOUT:-60}
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}

say() { printf 'docker-engine: %s\n' "$*" >&2; }

# A process exists and is not a zombie (an exited child that PID 1 has not reaped yet).
alive() {
  local state
  state=$({ sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1; } 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# The pid in the pidfile, if that process is alive and is a dockerd (empty otherwise).
live_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then
    printf '%s\n' "$pid"
  fi
}

answers() { [[ -S "$sock" ]] && DOCKER_HOST=unix://$sock timeout 10 "$DOCKER_CLI" info >/dev/null 2>&1; }

install_engine() {
  say "installing docker.io and debootstrap with apt"
  export DEBIAN_FRONTEND=noninteractive
  # The package's maintainer scripts would start a system-wide dockerd through invoke-rc.d; a
  # policy-rc.d that refuses every start keeps them from doing so (one is left in place if present).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local status=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends docker.io debootstrap; } || status=$?
  [[ $own_policy -eq 1 ]] && rm -f "$policy"
  [[ $status -eq 0 ]] || { say "apt-get failed ($status)"; return "$status"; }
}

start() {
  if [[ -n "$(live_pid)" ]] && answers; then
    say "already running (pid $(live_pid)), DOCKER_HOST=unix://$sock"
    return 0
  fi
  if [[ -n "$(live_pid)" ]]; then
    # Alive but not answering: maybe still starting (another caller); give it the same time.
    say "pid $(live_pid) is alive but does not answer yet; waiting"
    wait_ready "$(live_pid)" && return 0
    say "it never answered; stopping it and starting afresh"
    stop
  fi
  command -v dockerd >/dev/null 2>&1 || [[ -x /usr/sbin/dockerd ]] || install_engine
  command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]] || install_engine
  [[ -x "$DOCKER_CLI" ]] || { say "$DOCKER_CLI is missing (Debian's docker.io ships it)"; return 1; }
  local dockerd
  dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)

  mkdir -p "$dir" "$data_root" "$exec_root"
  rm -f "$pidfile" "$sock"
  local in_netns=()
  [[ -z "$netns" ]] || in_netns=(ip netns exec "$netns" unshare --uts -- bash -c "$netns_launcher" launcher "$hostname" "$(cgroup_mounts)")
  say "starting $dockerd (log: $log)"
  printf '\n==== %s start\n' "$(date -u +%FT%TZ)" >>"$log"
  # setsid: its own session, so the caller's job control or terminal closing does not signal it.
  setsid "${in_netns[@]}" "$dockerd" \
    --data-root "$data_root" \
    --exec-root "$exec_root" \
    -H "unix://$sock" \
    --pidfile "$pidfile" \
    "${extra_args[@]}" \
    </dev/null >>"$log" 2>&1 &
  local pid=$!
  if ! wait_ready "$pid"; then
    say "dockerd did not answer within ${start_timeout}s; last lines of $log:"
    tail -n 30 "$log" >&2 || true
    kill_pid "$pid"
    return 1
  fi
  say "running (pid $(live_pid)), DOCKER_HOST=unix://$sock"
}

# `ip netns exec` gives the command a mount namespace of its own with a fresh /sys for the network
# namespace, which hides the host's cgroup hierarchies that dockerd needs: the launcher mounts them again
# (from `cgroup_mounts`, one `type options target` per line), names the host, then becomes dockerd
# (exec all the way down, so the pid is dockerd's).
# shellcheck disable=SC2016 # expanded by the launcher's bash, not here
netns_launcher='
set -e
hostname "$1"
while read -r type options target; do
  mkdir -p "$target"
  mount -t "$type" -o "$options" "$type" "$target"
done <<<"$2"
shift 2
exec "$@"'

# The hierarchies as the host mounts them: a tmpfs with one cgroup per controller (v1), or cgroup2 itself.
cgroup_mounts() { awk '$2 == "/sys/fs/cgroup" || $2 ~ "^/sys/fs/cgroup/" { print $3, $4, $2 }' /proc/self/mounts; }

# Wait until the engine answers, or the process dies, or the start timeout passes.
wait_ready() {
  local pid=$1 deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    alive "$pid" || { say "dockerd (pid $pid) exited"; return 1; }
    answers && return 0
    sleep 0.5
  done
  return 1
}

# TERM a pid, wait up to the stop timeout, then KILL it.
kill_pid() {
  local pid=$1 deadline=$((SECONDS + stop_timeout))
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
  if alive "$pid"; then
    say "pid $pid still alive after ${stop_timeout}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  fi
}

# A pid and all its descendants, children first.
process_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do process_tree "$child"; done
  printf '%s\n' "$1"
}

# After a crash or a KILL, containers outlive the engine: their containerd-shim processes (started by
# our containerd, recognisable by its socket under our exec root) and what runs under them. A graceful
# stop leaves none, since dockerd stops its containers on TERM.
reap_orphans() {
  local proc cmd pid p
  for proc in /proc/[0-9]*; do
    cmd=$({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null) || continue
    [[ "$cmd" == *containerd-shim* && "$cmd" == *" -address $exec_root/containerd/containerd.sock "* ]] || continue
    pid=${proc#/proc/}
    say "engine gone but its container shim (pid $pid) is left: killing it and its processes"
    for p in $(process_tree "$pid"); do kill -KILL "$p" 2>/dev/null || true; done
  done
}

stop() {
  local pid containerd_pid
  pid=$(live_pid)
  # dockerd supervises its own containerd and writes its pid here; normally dockerd stops it.
  containerd_pid=$(cat "$exec_root/containerd/containerd.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]]; then
    say "stopping dockerd (pid $pid)"
    kill_pid "$pid"
  else
    say "not running"
  fi
  if [[ "$containerd_pid" =~ ^[0-9]+$ ]] && alive "$containerd_pid" \
    && [[ "$(cat "/proc/$containerd_pid/comm" 2>/dev/null)" == containerd* ]]; then
    say "stopping its containerd (pid $containerd_pid)"
    kill_pid "$containerd_pid"
  fi
  rm -f "$pidfile"
  reap_orphans
  # dockerd leaves the host's network namespace bind-mounted at exec/netns/default and its data root
  # bind-mounted on itself (private propagation), and after a KILL perhaps more: unmount whatever is
  # left at or under our roots so the directories can be removed.
  local m
  awk -v a="$exec_root" -v b="$data_root" '$2 == a || $2 == b || index($2, a "/") == 1 || index($2, b "/") == 1 { print $2 }' /proc/mounts \
    | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) printf 'export DOCKER_HOST=unix://%s\n' "$sock" ;;
  status) if [[ -n "$(live_pid)" ]] && answers; then echo "running (pid $(live_pid))"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
