/** The pipeline's keyspace as CQL, for the bootstrap job and for the roles job that grants on it. */

/** A CQL string literal. */
export function cqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A NetworkTopologyStrategy replication map: `copies` in `datacenter`, and every other datacenter of `others` (an
 * existing keyspace's map) kept as it is, since an ALTER replaces the whole map.
 */
export function networkTopology(datacenter: string, copies: number, others: Readonly<Record<string, string>> = {}): string {
  const kept = Object.entries(others).filter(([name]) => name !== 'class' && name !== datacenter);
  const entries = [[datacenter, `${copies}`], ...kept.sort(([a], [b]) => a.localeCompare(b))].map(([name, factor]) => `${cqlString(name)}: ${factor}`);
  return `{'class': 'NetworkTopologyStrategy', ${entries.join(', ')}}`;
}

/**
 * Creates the keyspace with `replication` copies of every row in `datacenter`, unless it exists.
 * NetworkTopologyStrategy, not SimpleStrategy: it places copies by datacenter and rack, and the LOCAL_* consistency
 * levels count copies in the client's own datacenter.
 */
export function keyspaceDdl(keyspace: string, datacenter: string, replication: number): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${networkTopology(datacenter, replication)}`;
}

/** A keyspace's replication as `system_schema.keyspaces` gives it: the strategy's class and its options. */
export type KeyspaceReplication = Readonly<Record<string, string>>;

/**
 * The copies of every row that `replication` keeps in `datacenter`: SimpleStrategy's factor (one datacenter),
 * NetworkTopologyStrategy's entry for it (0 without one); undefined for another strategy.
 */
export function replicationCopies(replication: KeyspaceReplication, datacenter: string): number | undefined {
  const strategy = replication.class ?? '';
  if (strategy.endsWith('SimpleStrategy')) return Number(replication.replication_factor);
  if (strategy.endsWith('NetworkTopologyStrategy')) return Number(replication[datacenter] ?? 0);
  return undefined;
}
