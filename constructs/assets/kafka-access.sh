#!/usr/bin/env bash
# The command of the kafka-access jobs (constructs/kafka-access.ts), run as root in the Kafka image:
#
#   bash kafka-access.sh MODE TARGET PLAN_DIRECTORY SECRETS_DIRECTORY
#
# PLAN_DIRECTORY is readable by root alone. Every credential is upserted (a kept volume gets this deploy's passwords),
# every rule added.
#
#   broker         ZooKeeper mode, before the brokers start; TARGET is ZooKeeper: the brokers' own credential
#                  (`credentials`), then the broker files below.
#   broker-files   KRaft mode, before the brokers start: the broker files alone (the brokers check their own login
#                  from the JAAS file, not from the metadata log).
#   clients        ZooKeeper mode, while the brokers start; TARGET is ZooKeeper: every client's credential
#                  (`credentials`) and every rule (`acls`, lines of kafka-acls arguments), a few tools at a time.
#   clients-admin  KRaft mode, once the brokers serve; TARGET is their bootstrap servers: the same through the Admin
#                  API, logged in with `admin.properties`.
#
# The broker files (`broker/`: the JAAS file and the tools' client properties) go to SECRETS_DIRECTORY, the volume the
# brokers mount, owned by their user (appuser in both images) and readable by it alone. Passwords are never echoed.
set -Eeuo pipefail

mode=$1 target=$2 plan=$3 secrets=$4
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

# Where the tools write: ZooKeeper, or the brokers' Admin API with the admin login.
case $mode in
  clients-admin)
    configs_target=(--bootstrap-server "$target" --command-config "$plan/admin.properties")
    acls_target=(--bootstrap-server "$target" --command-config "$plan/admin.properties")
    ;;
  *)
    configs_target=(--zookeeper "$target")
    acls_target=(--authorizer-properties "zookeeper.connect=$target")
    ;;
esac

set_credential() {
  kafka-configs "${configs_target[@]}" --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]" >/dev/null
  say "SCRAM-SHA-512 credential of $1 set"
}

add_acl() {
  kafka-acls "${acls_target[@]}" --add --force "$@" >/dev/null
  say "allowed: $*"
}

install_broker_files() {
  # The volume's mount point exists already (root's, on a new volume): given to the brokers' user, for it alone.
  chown appuser:appuser "$secrets"
  chmod 0700 "$secrets"
  for file in "$plan"/broker/*; do
    install -o appuser -g appuser -m 0400 "$file" "$secrets/"
  done
  say "the brokers' files are in $secrets (appuser, 0400)"
}

case $mode in
  broker)
    while read -r user password; do
      [[ -n "$user" ]] || continue
      set_credential "$user" "$password"
    done <"$plan/credentials"
    install_broker_files
    ;;
  broker-files)
    install_broker_files
    ;;
  clients | clients-admin)
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
    say "every client's credential and rule is written"
    ;;
  *)
    say "unknown mode '$mode': broker, broker-files, clients or clients-admin"
    exit 2
    ;;
esac
