/** Kafka clients of tools on the Docker host (tests, benchmarks), logging in with a user of the stack's outputs. */
import { Kafka, logLevel } from 'kafkajs';

/**
 * The users the stack outputs: the DAG's producer (writes the users and dead-letter topics), the read-only
 * `monitoring`, and `admin`, a super user (topics and groups of a tool's own).
 */
export type HostKafkaUser = 'producer' | 'monitoring' | 'admin';

/** The login of `user` from the outputs (`kafka_<user>_user`, `kafka_<user>_password`). */
export function hostKafkaLogin(outputs: Readonly<Record<string, string>>, user: HostKafkaUser): { username: string; password: string } {
  const username = outputs[`kafka_${user}_user`];
  const password = outputs[`kafka_${user}_password`];
  if (!username || !password) throw new Error(`the stack's outputs have no kafka_${user}_user and kafka_${user}_password: is the platform's Kafka deployed?`);
  return { username, password };
}

/** A kafkajs client for the stack's Kafka as `user` (SASL/SCRAM-SHA-512). */
export function hostKafka(outputs: Readonly<Record<string, string>>, user: HostKafkaUser, clientId = `host-${user}`): Kafka {
  const { username, password } = hostKafkaLogin(outputs, user);
  return new Kafka({
    clientId,
    brokers: outputs.kafka_bootstrap_servers.split(','),
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', username, password },
  });
}

/** The replay tool's Kafka variables: it reads the dead-letter topic and writes the users topic, as `admin`. */
export function replayKafkaEnv(outputs: Readonly<Record<string, string>>): Record<string, string> {
  const { username, password } = hostKafkaLogin(outputs, 'admin');
  return { PIPELINE_KAFKA_BOOTSTRAP_SERVERS: outputs.kafka_bootstrap_servers, PIPELINE_KAFKA_USERNAME: username, PIPELINE_KAFKA_PASSWORD: password };
}

/** A node of the KRaft quorum as `kafka-metadata-quorum describe --replication` lists it. */
export interface QuorumNode {
  readonly nodeId: number;
  /** Leader, Follower or Observer. */
  readonly status: string;
}

/**
 * The table of `kafka-metadata-quorum describe --replication`, whatever surrounds it: run in a service's container, the
 * tool logs through the service's log4j settings to the same output, before and after the table.
 */
export function parseQuorumReplication(output: string): QuorumNode[] {
  const lines = output.split('\n').map((line) => line.trim());
  const headerAt = lines.findIndex((line) => /^NodeId\s/.test(line));
  if (headerAt < 0) throw new Error(`no NodeId table in kafka-metadata-quorum's output:\n${output.slice(0, 2000)}`);
  return lines
    .slice(headerAt + 1)
    .map((line) => line.split(/\s+/))
    .filter((cells) => /^\d+$/.test(cells[0]))
    .map((cells) => ({ nodeId: Number(cells[0]), status: cells[cells.length - 1] }));
}
