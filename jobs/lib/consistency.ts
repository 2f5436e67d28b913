/**
 * The consistency level the pipeline reads and writes Cassandra with (PIPELINE_CASSANDRA_CONSISTENCY): one for the
 * Spark job's writes and every job's reads, so that a read sees what was written whenever the two levels overlap.
 */

/** The levels a read and a write both accept (EACH_QUORUM and ANY are for writes alone, SERIAL for conditions). */
export const CASSANDRA_CONSISTENCY_LEVELS = ['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_ONE', 'LOCAL_QUORUM'] as const;

export type CassandraConsistency = (typeof CASSANDRA_CONSISTENCY_LEVELS)[number];

export function isCassandraConsistency(value: string): value is CassandraConsistency {
  return (CASSANDRA_CONSISTENCY_LEVELS as readonly string[]).includes(value);
}

/** The copies of a row a level needs at least, whatever nodes are up: TWO and THREE name theirs, the others are shares. */
export function copiesNeeded(level: CassandraConsistency): number {
  return level === 'THREE' ? 3 : level === 'TWO' ? 2 : 1;
}

/**
 * The level for `replication` copies: LOCAL_QUORUM from 3 copies, where a majority (2 of 3) answers with one node
 * lost, and a read at it meets a write at it on at least one copy; below 3, a quorum is every copy, so one node lost
 * would stop reads and writes, and LOCAL_ONE keeps them going.
 */
export function defaultConsistency(replication: number): CassandraConsistency {
  return replication >= 3 ? 'LOCAL_QUORUM' : 'LOCAL_ONE';
}
