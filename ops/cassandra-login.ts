/**
 * Logins to the deployed Cassandra from the host, for the end-to-end proof and the benchmarks: a client of a role
 * given by name and password, and the platform's superuser, whose credential only its own volume holds.
 */
import { auth, Client } from 'cassandra-driver';
import { driverConsistency } from '../jobs/lib/clients';
import { isCassandraConsistency } from '../jobs/lib/consistency';
import { docker, PREFIX } from './deployment';

export interface CassandraLogin {
  readonly username: string;
  readonly password: string;
}

/**
 * A client of the stack's Cassandra (its outputs' contact points, one per node, and datacenter) logging in as `login`,
 * querying at the pipeline's consistency level.
 */
export function cassandraClient(outputs: Readonly<Record<string, string>>, login: CassandraLogin, readTimeoutMs = 30_000): Client {
  const level = outputs.cassandra_consistency;
  return new Client({
    contactPoints: outputs.cassandra_contact_point.split(','),
    localDataCenter: outputs.cassandra_datacenter,
    authProvider: new auth.PlainTextAuthProvider(login.username, login.password),
    socketOptions: { readTimeout: readTimeoutMs },
    queryOptions: level !== undefined && isCassandraConsistency(level) ? { consistency: driverConsistency(level) } : {},
  });
}

/**
 * The superuser's credential, read from its volume by a throwaway container of the roles job's image (no container of
 * the stack mounts the volume but that one-shot job).
 */
export function cassandraSuperuser(): CassandraLogin {
  const image = docker('inspect', '-f', '{{.Image}}', `${PREFIX}-cassandra-roles`);
  const text = docker('run', '--rm', '-v', `${PREFIX}-cassandra-superuser:/superuser:ro`, '--entrypoint', 'cat', image, '/superuser/credential.json');
  return JSON.parse(text) as CassandraLogin;
}
