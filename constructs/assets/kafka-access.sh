#!/usr/bin/env bash
# The kafka-access job's command (constructs/kafka-access.ts), run as root in the Kafka image before the broker
# starts, at every deploy:
#
#   bash kafka-access.sh ZOOKEEPER_CONNECT PLAN_DIRECTORY SECRETS_DIRECTORY
#
# PLAN_DIRECTORY (readable by root alone) holds `credentials` (lines `USER PASSWORD`), `acls` (lines of
# kafka-acls arguments) and `broker/` (the broker's JAAS file and its tools' client properties). In ZooKeeper
# mode both SCRAM credentials and ACLs live in ZooKeeper, so they are written there before any broker or client
# needs them: every credential is upserted (a kept ZooKeeper volume gets this deploy's passwords), every rule
# added. Then the broker's files go to SECRETS_DIRECTORY, the volume the broker mounts, owned by its user
# (appuser in both images) and readable by it alone. Passwords are never echoed.
set -Eeuo pipefail

zookeeper=$1 plan=$2 secrets=$3
say() { printf 'kafka-access: %s\n' "$*" >&2; }
# The tools' JVMs (one per call, about 20 in all): small, quick to start (serial GC, the client compiler alone),
# and with no agent or JAAS file from the environment.
export KAFKA_HEAP_OPTS=-Xmx128m KAFKA_OPTS=
export KAFKA_JVM_PERFORMANCE_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true'

while read -r user password; do
  [[ -n "$user" ]] || continue
  kafka-configs --zookeeper "$zookeeper" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >/dev/null
  say "SCRAM-SHA-512 credential of $user set"
done <"$plan/credentials"

while read -r -a acl; do
  [[ ${#acl[@]} -gt 0 ]] || continue
  kafka-acls --authorizer-properties "zookeeper.connect=$zookeeper" --add --force "${acl[@]}" >/dev/null
  say "allowed: ${acl[*]}"
done <"$plan/acls"

# The volume's mount point exists already (root's, on a new volume): given to the broker's user, for it alone.
chown appuser:appuser "$secrets"
chmod 0700 "$secrets"
for file in "$plan"/broker/*; do
  install -o appuser -g appuser -m 0400 "$file" "$secrets/"
done
say "the broker's files are in $secrets (appuser, 0400)"
