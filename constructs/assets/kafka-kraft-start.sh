#!/usr/bin/env bash
# A KRaft node's command (constructs/kafka-broker.ts): formats its log directory for the cluster at its first start
# (a formatted one, kept with the data, is left as it is: the node reads the cluster's id from it), then starts it.
#
#   kafka-kraft-start.sh SERVER_PROPERTIES CLUSTER_ID
set -Eeuo pipefail
config=$1 cluster_id=$2
# The format tool is a short JVM of its own: not the server's heap, nor its Java agent (whose port the server takes).
KAFKA_HEAP_OPTS=-Xmx128m KAFKA_OPTS='' kafka-storage format --ignore-formatted --cluster-id "$cluster_id" --config "$config"
exec kafka-server-start "$config"
