/**
 * Logins to the deployed Cassandra from the host, for the end-to-end proof and the benchmarks: a client of a role
 * given by name and password, and the platform's superuser, whose credential only its own volume holds.
 */
import { auth, Client, policies, types } from 'cassandra-driver';
import { driverConsistency } from '../jobs/lib/clients';
import { isCassandraConsistency } from '../jobs/lib/consistency';
import { docker, PREFIX } from './deployment';

export interface CassandraLogin {
  readonly username: string;
  readonly password: string;
}

export interface CassandraClientOptions {
  /**
   * How long the driver waits for a coordinator's answer.
   * @default 30_000
   */
  readonly readTimeoutMs?: number;
  /**
   * Retries, on another coordinator, a statement whose replicas timed out or were unavailable, up to this many times.
   * Only for a client whose every statement is idempotent (reads, inserts of fixed values).
   * @default 0 (the driver's default policy: at most one retry, and only in the narrow cases it deems safe)
   */
  readonly timeoutRetries?: number;
  /**
   * Maps the address a node gives for itself (`system.peers`, `system.local`) to one this client reaches: on a swarm
   * the nodes name their overlay addresses, and a client outside it dials the hosts'.
   * @default - the nodes' own addresses
   */
  readonly addressTranslator?: policies.addressResolution.AddressTranslator;
}

/**
 * Retries timeouts of idempotent statements: on a loaded ring of two cores, a quorum read may see one replica
 * answer in time and the other not, which says nothing about the data.
 */
export class IdempotentTimeoutRetryPolicy extends policies.retry.RetryPolicy {
  constructor(private readonly retries: number) {
    super();
  }

  /** The same consistency, on the next coordinator of the query plan. */
  private decide(info: policies.retry.OperationInfo, consistency: types.consistencies): policies.retry.DecisionInfo {
    return info.nbRetry < this.retries ? this.retryResult(consistency, false) : this.rethrowResult();
  }

  public override onReadTimeout(info: policies.retry.OperationInfo, consistency: types.consistencies): policies.retry.DecisionInfo {
    return this.decide(info, consistency);
  }

  public override onWriteTimeout(info: policies.retry.OperationInfo, consistency: types.consistencies): policies.retry.DecisionInfo {
    return this.decide(info, consistency);
  }

  public override onUnavailable(info: policies.retry.OperationInfo, consistency: types.consistencies): policies.retry.DecisionInfo {
    return this.decide(info, consistency);
  }
}

/**
 * A client of the stack's Cassandra (its outputs' contact points, one per node, and datacenter) logging in as `login`,
 * querying at the pipeline's consistency level.
 */
export function cassandraClient(outputs: Readonly<Record<string, string>>, login: CassandraLogin, options: CassandraClientOptions = {}): Client {
  const level = outputs.cassandra_consistency;
  const retries = options.timeoutRetries ?? 0;
  return new Client({
    contactPoints: outputs.cassandra_contact_point.split(','),
    localDataCenter: outputs.cassandra_datacenter,
    authProvider: new auth.PlainTextAuthProvider(login.username, login.password),
    socketOptions: { readTimeout: options.readTimeoutMs ?? 30_000 },
    queryOptions: level !== undefined && isCassandraConsistency(level) ? { consistency: driverConsistency(level) } : {},
    policies: {
      ...(retries > 0 ? { retry: new IdempotentTimeoutRetryPolicy(retries) } : {}),
      ...(options.addressTranslator ? { addressResolution: options.addressTranslator } : {}),
    },
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
