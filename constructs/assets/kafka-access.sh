#!/usr/bin/env bash
# The command of the kafka-access jobs (constructs/kafka-access.ts), run as root in the Kafka image once ZooKeeper
# serves:
#
#   bash kafka-access.sh broker|clients ZOOKEEPER_CONNECT PLAN_DIRECTORY SECRETS_DIRECTORY
#
# In ZooKeeper mode both SCRAM credentials and ACLs live in ZooKeeper, so they are written there before anyone
# needs them; every credential is upserted (a kept ZooKeeper volume gets this deploy's passwords), every rule added.
# PLAN_DIRECTORY is readable by root alone.
#
#   broker   before the broker starts: its own credential (`credentials`), then its JAAS file and its tools'
#            client properties (`broker/`) onto SECRETS_DIRECTORY, the volume the broker mounts, owned by its
#            user (appuser in both images) and readable by it alone.
#   clients  while the broker starts: every client's credential (`credentials`) and every rule (`acls`, lines of
#            kafka-acls arguments), a few tools at a time.
#
# Passwords are never echoed.
set -Eeuo pipefail

mode=$1 zookeeper=$2 plan=$3 secrets=$4
say() { printf 'kafka-access %s: %s\n' "$mode" "$*" >&2; }
# The tools' JVMs (one per call): small, quick to start (serial GC, the client compiler alone), and with no agent
# or JAAS file from the environment. Each spends about 1.5 s of a core starting up, most of the job's time: the
# clients' run several at once.
export KAFKA_HEAP_OPTS=-Xmx64m KAFKA_OPTS=
export KAFKA_JVM_PERFORMANCE_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Djava.awt.headless=true'
readonly PARALLEL_TOOLS=3

running=0
# Runs "$@" in the background, at most PARALLEL_TOOLS at once; a failure fails the job (errexit on `wait -n`).
start() {
  "$@" &
  running=$((running + 1))
  if ((running >= PARALLEL_TOOLS)); then wait -n; running=$((running - 1)); fi
}
finish() {
  while ((running > 0)); do wait -n; running=$((running - 1)); done
}

set_credential() {
  kafka-configs --zookeeper "$zookeeper" --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]" >/dev/null
  say "SCRAM-SHA-512 credential of $1 set"
}

add_acl() {
  kafka-acls --authorizer-properties "zookeeper.connect=$zookeeper" --add --force "$@" >/dev/null
  say "allowed: $*"
}

case $mode in
  broker)
    while read -r user password; do
      [[ -n "$user" ]] || continue
      set_credential "$user" "$password"
    done <"$plan/credentials"
    # The volume's mount point exists already (root's, on a new volume): given to the broker's user, for it alone.
    chown appuser:appuser "$secrets"
    chmod 0700 "$secrets"
    for file in "$plan"/broker/*; do
      install -o appuser -g appuser -m 0400 "$file" "$secrets/"
    done
    say "the broker's files are in $secrets (appuser, 0400)"
    ;;
  clients)
    # The first call dumps the classes it loaded into an archive the others map instead of loading them again
    # (AppCDS): about 0.95 CPU-seconds a call instead of 1.5 here, for 1.3 s more in the first.
    archive=/tmp/kafka-tools.jsa
    first=true
    while read -r user password; do
      [[ -n "$user" ]] || continue
      if $first; then
        KAFKA_JVM_PERFORMANCE_OPTS="$KAFKA_JVM_PERFORMANCE_OPTS -XX:ArchiveClassesAtExit=$archive" set_credential "$user" "$password"
        export KAFKA_JVM_PERFORMANCE_OPTS="$KAFKA_JVM_PERFORMANCE_OPTS -XX:SharedArchiveFile=$archive"
        first=false
      else
        start set_credential "$user" "$password"
      fi
    done <"$plan/credentials"
    while read -r -a acl; do
      [[ ${#acl[@]} -gt 0 ]] || continue
      start add_acl "${acl[@]}"
    done <"$plan/acls"
    finish
    say "every client's credential and rule is in ZooKeeper"
    ;;
  *)
    say "unknown mode '$mode': broker or clients"
    exit 2
    ;;
esac
