/** Clients for the pipeline's services, configured the same way for both jobs. */
import * as cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { Client as PgClient } from 'pg';
import type { CassandraConfig, KafkaLogin } from './config';
import type { CassandraConsistency } from './consistency';

/** A Kafka client logging in with `login` (SASL/SCRAM-SHA-512 over plaintext, as every listener of the platform's broker). */
export function createKafka(brokers: string[], clientId: string, login: KafkaLogin): Kafka {
  return new Kafka({
    clientId,
    brokers,
    sasl: { mechanism: 'scram-sha-512', username: login.username, password: login.password },
    // Steps retry whole (see run.ts) and log why; kafkajs's own log would repeat every connection error.
    logLevel: logLevel.NOTHING,
    // Few inner retries, so one attempt fails fast and the step's retry decides how long to keep trying.
    retry: { retries: 2 },
  });
}

/** Connects to `dsn`, runs `use` and always closes the connection. */
export async function withPostgres<T>(dsn: string, use: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: dsn, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The driver's value of a consistency level. */
export function driverConsistency(level: CassandraConsistency): number {
  const name = level.toLowerCase().replace(/_(.)/g, (_, letter: string) => letter.toUpperCase()) as keyof typeof cassandra.types.consistencies;
  return cassandra.types.consistencies[name];
}

/**
 * Connects, runs `use` and always shuts the client down (it keeps sockets and timers open otherwise). Every query runs
 * at the configured consistency unless it names its own.
 */
export async function withCassandra<T>(config: CassandraConfig, use: (client: cassandra.Client) => Promise<T>): Promise<T> {
  const client = new cassandra.Client({
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    authProvider: new cassandra.auth.PlainTextAuthProvider(config.username, config.password),
    queryOptions: { consistency: driverConsistency(config.consistency) },
  });
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.shutdown();
  }
}
