/**
 * Logins to the deployed Cassandra from the host, for the end-to-end proof and the benchmarks: a client of a role
 * given by name and password, and the platform's superuser, whose credential only its own volume holds.
 */
import { auth, Client } from 'cassandra-driver';
import { docker, PREFIX } from './deployment';

export interface CassandraLogin {
  readonly username: string;
  readonly password: string;
}

/** A client of the stack's Cassandra (its outputs' contact point and datacenter) logging in as `login`. */
export function cassandraClient(outputs: Readonly<Record<string, string>>, login: CassandraLogin, readTimeoutMs = 30_000): Client {
  return new Client({
    contactPoints: [outputs.cassandra_contact_point],
    localDataCenter: outputs.cassandra_datacenter,
    authProvider: new auth.PlainTextAuthProvider(login.username, login.password),
    socketOptions: { readTimeout: readTimeoutMs },
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
