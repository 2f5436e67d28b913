/** The pipeline's keyspace as CQL, for the bootstrap job and for the roles job that grants on it. */

/** Creates the keyspace with SimpleStrategy and `replication` copies of every row, unless it exists. */
export function keyspaceDdl(keyspace: string, replication: number): string {
  return `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replication}}`;
}
