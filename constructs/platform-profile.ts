import type { KafkaMetadataMode } from './kafka-cluster';
import type { PlatformMemory, StreamingPlatformProps } from './streaming-platform';
import { PropError } from './validation';

/**
 * Sizes for users who would rather not pick numbers:
 * - `single`: one of each (the default), the smallest footprint, no copy survives a node lost;
 * - `replicated`: 3 Kafka brokers in KRaft mode (no ZooKeeper; Control Center, which needs one, off), 3 Cassandra nodes
 *   and 2 Spark workers, so every partition and every row has 3 copies and the pipeline goes on with any one node lost;
 *   smaller memory limits per node, to fit one 24 GiB host.
 */
export type PlatformProfile = 'single' | 'replicated';

export const PLATFORM_PROFILES: readonly PlatformProfile[] = ['single', 'replicated'];

/** What a profile sets: counts, and memory limits per container (MiB). */
export interface ProfileSizes {
  readonly kafkaBrokers: number;
  readonly kafkaMetadata: KafkaMetadataMode;
  readonly cassandraNodes: number;
  readonly sparkWorkers: number;
  readonly memoryMiB: PlatformMemory;
}

const SIZES: Readonly<Record<PlatformProfile, ProfileSizes>> = {
  single: { kafkaBrokers: 1, kafkaMetadata: 'zookeeper', cassandraNodes: 1, sparkWorkers: 1, memoryMiB: {} },
  // Heaps are half of each limit: 3 × 1 GiB brokers, 3 × 1.5 GiB Cassandra nodes and 2 × 1.5 GiB workers take 10.5 GiB
  // of limits, 18 GiB for the whole platform, beside what `docker stats` shows in use under load (README, "Profiles").
  replicated: { kafkaBrokers: 3, kafkaMetadata: 'kraft', cassandraNodes: 3, sparkWorkers: 2, memoryMiB: { kafka: 1024, cassandra: 1536, sparkWorker: 1536 } },
};

/** The sizes of `profile`, refused by name when it is not one. */
export function profileSizes(profile: string): ProfileSizes {
  if (!(PLATFORM_PROFILES as readonly string[]).includes(profile)) {
    throw new PropError('profile', `must be one of ${PLATFORM_PROFILES.map((p) => `'${p}'`).join(', ')}, got '${profile}'`);
  }
  return SIZES[profile as PlatformProfile];
}

/**
 * `props` with the profile's counts and memory limits where they are unset, for the services the platform runs (a
 * brought service takes none of them). Every prop given overrides its profile value.
 */
export function withProfile(props: StreamingPlatformProps): StreamingPlatformProps {
  const sizes = profileSizes(props.profile ?? 'single');
  const memory: PlatformMemory = props.memoryMiB ?? {};
  return {
    ...props,
    kafkaBrokers: props.kafka ? props.kafkaBrokers : props.kafkaBrokers ?? sizes.kafkaBrokers,
    kafkaMetadata: props.kafka ? props.kafkaMetadata : props.kafkaMetadata ?? sizes.kafkaMetadata,
    cassandraNodes: props.cassandra ? props.cassandraNodes : props.cassandraNodes ?? sizes.cassandraNodes,
    sparkWorkers: props.sparkWorkers ?? sizes.sparkWorkers,
    memoryMiB: {
      ...memory,
      kafka: props.kafka ? memory.kafka : memory.kafka ?? sizes.memoryMiB.kafka,
      cassandra: props.cassandra ? memory.cassandra : memory.cassandra ?? sizes.memoryMiB.cassandra,
      sparkWorker: memory.sparkWorker ?? sizes.memoryMiB.sparkWorker,
    },
  };
}
