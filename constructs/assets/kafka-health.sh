#!/usr/bin/env bash
# A Kafka broker's health check, run by Docker in the broker's container (constructs/kafka-broker.ts):
#
#   bash kafka-health.sh PORT CLIENT_PROPERTIES
#
# Healthy when the broker answers a request on PORT and, once per start of the container, its own tool user logs in
# with CLIENT_PROPERTIES. The request is ApiVersions, written over bash's /dev/tcp: a broker answers it before any
# login, but only once it has registered and serves requests. It starts no JVM, so the check can run every few
# seconds while the broker starts, and costs nothing later. The login is Kafka's own tool, a JVM of about 1.5 s of a
# core: run until it passes once for this start of the container, then skipped. A marker holds the start time of the
# container's first process, which a restart changes.
set -uo pipefail

port=$1 properties=$2

# ApiVersions v0 (key 18), correlation id 1, client id "hc". The answer starts with its size, the id and error 0.
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  printf 'nothing listens on port %s yet\n' "$port"
  exit 1
fi
printf '\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x01\x00\x02hc' >&3
answer=$(timeout 5 head -c 10 <&3 | od -An -tx1 | tr -d ' \n')
exec 3>&-
if [[ ${answer:8} != 000000010000 ]]; then
  printf 'the broker does not serve requests on port %s yet (answer: %s)\n' "$port" "${answer:-none}"
  exit 1
fi

marker=${TMPDIR:-/tmp}/kafka-health-logged-in
started=$(cut -d' ' -f22 /proc/1/stat)
[[ -f $marker && $(<"$marker") == "$started" ]] && exit 0
kafka-broker-api-versions --bootstrap-server "localhost:$port" --command-config "$properties" >/dev/null || exit 1
printf '%s\n' "$started" >"$marker"
