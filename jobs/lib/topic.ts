/** Reading a whole topic from the host's jobs (verify, replay): every message up to where the topic ended when asked. */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface TopicMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

interface PartitionRange {
  partition: number;
  low: number;
  high: number;
}

async function topicRanges(kafka: Kafka, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(`the topic '${topic}' does not exist: has the bootstrap job run?`);
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Hands each message below the high watermarks seen at the start to `onMessage`, reading until they are all read
 * or `timeoutMs` passes. Resolves to how many messages the topic held (`total`) and how many were read.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  onMessage: (message: TopicMessage) => void,
): Promise<{ total: number; read: number }> {
  const ranges = await topicRanges(kafka, topic);
  const total = ranges.reduce((sum, { low, high }) => sum + high - low, 0);
  const pending = new Map(ranges.filter(({ low, high }) => high > low).map(({ partition, high }) => [partition, high]));
  let read = 0;
  if (pending.size === 0) return { total, read };
  // A fresh group that commits nothing reads from the start every time and leaves nothing behind:
  // Kafka drops an empty group that has no committed offsets.
  const consumer = kafka.consumer({ groupId: `pipeline-read-${randomUUID()}`, allowAutoTopicCreation: false });
  let finish = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  let crash: Error | undefined;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    crash = payload.error;
    finish();
  });
  const timer = setTimeout(finish, timeoutMs);
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // kafkajs takes a promise-returning handler; this one has nothing to await.
      eachMessage: ({ partition, message }) => {
        const end = pending.get(partition);
        if (end === undefined) return Promise.resolve();
        const offset = Number(message.offset);
        if (offset < end) {
          read++;
          onMessage({ partition, offset: message.offset, key: message.key, value: message.value });
        }
        // ">=": offsets can skip the end (compaction, transaction markers), and later messages are not counted.
        if (offset + 1 >= end) {
          pending.delete(partition);
          if (pending.size === 0) finish();
        }
        return Promise.resolve();
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (crash !== undefined) throw crash;
  return { total, read };
}
