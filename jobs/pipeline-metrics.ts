/**
 * The pipeline's own figures for Prometheus, served on :PIPELINE_METRICS_PORT/metrics by a long-running container of
 * the monitoring (constructs/pipeline-metrics.ts): the outbox's depth and the ingest runs (PostgreSQL), the topics'
 * offsets (Kafka), the Spark job's position from its checkpoint (the checkpoints volume, mounted read-only), hence
 * its lag, which holds also while the job is down, and the dead letters by stage and reason (the dead-letter topic,
 * read from its start and then followed). Figures are read when Prometheus asks, so a scrape sees the present.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { createKafka } from './lib/clients';
import { loadPipelineMetricsConfig, type PipelineMetricsConfig } from './lib/config';
import { redactDsn } from './lib/dsn';
import {
  collectFigures,
  type CommittedBatch,
  DeadLetterTally,
  type FigureSources,
  lastCommittedBatchId,
  parseOffsetsFile,
  PIPELINE_METRICS_PORT,
  type StoreFigures,
  type TopicEnds,
} from './lib/pipeline-figures';
import { CONTENT_TYPE, renderMetrics } from './lib/prometheus-text';
import { describeError, sleep } from './lib/retry';
import { log } from './lib/run';

/** Within Prometheus' scrape timeout (10 s), with room for the rest. */
const SOURCE_TIMEOUT_MS = 5000;
const RECONNECT_DELAY_MS = 10_000;

const STORE_QUERY = `
  SELECT
    (SELECT count(*) FROM users WHERE published_at IS NULL AND dead_lettered_at IS NULL) AS users_waiting,
    (SELECT coalesce(extract(epoch FROM now() - min(fetched_at)), 0) FROM users
      WHERE published_at IS NULL AND dead_lettered_at IS NULL) AS users_oldest,
    (SELECT count(*) FROM rejected_records WHERE published_at IS NULL) AS rejected_waiting,
    (SELECT coalesce(extract(epoch FROM now() - min(rejected_at)), 0) FROM rejected_records
      WHERE published_at IS NULL) AS rejected_oldest,
    runs.n AS ingest_runs, runs.fetched, runs.stored, runs.rejected
  FROM (SELECT count(*) AS n, coalesce(sum(fetched), 0) AS fetched, coalesce(sum(stored), 0) AS stored,
          coalesce(sum(rejected), 0) AS rejected
        FROM ingest_runs WHERE finished_at IS NOT NULL) AS runs`;

/** The real sources: one pooled PostgreSQL connection, one Kafka admin client, the checkpoint's files. */
class LiveSources implements FigureSources {
  private readonly pool: Pool;
  private admin?: Admin;

  constructor(
    private readonly config: PipelineMetricsConfig,
    private readonly kafka: Kafka,
  ) {
    this.pool = new Pool({ connectionString: config.pgDsn, max: 1, connectionTimeoutMillis: SOURCE_TIMEOUT_MS, idleTimeoutMillis: 60_000 });
    // An idle connection the server drops must not crash the process.
    this.pool.on('error', (error) => log(`postgres: ${describeError(error)}`));
  }

  public async store(): Promise<StoreFigures> {
    const row = (await this.pool.query<Record<string, string>>(STORE_QUERY)).rows[0];
    const n = (column: string) => Number(row[column]);
    return {
      users: { rows: n('users_waiting'), oldestAgeSeconds: n('users_oldest') },
      rejectedRecords: { rows: n('rejected_waiting'), oldestAgeSeconds: n('rejected_oldest') },
      ingestRuns: n('ingest_runs'),
      fetched: n('fetched'),
      stored: n('stored'),
      rejected: n('rejected'),
    };
  }

  public async topicEnds(topic: string): Promise<TopicEnds> {
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      const offsets = await this.admin.fetchTopicOffsets(topic);
      return new Map(offsets.map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
    } catch (error) {
      // A fresh client next time: kafkajs does not always recover a broken one.
      const broken = this.admin;
      this.admin = undefined;
      await broken?.disconnect().catch(() => undefined);
      throw error;
    }
  }

  public async committedBatch(): Promise<CommittedBatch | undefined> {
    const list = async (folder: string) => {
      try {
        return await fs.readdir(path.join(this.config.checkpointDir, folder));
      } catch (error) {
        // No checkpoint yet: the Spark job has not started on this output.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    };
    const id = lastCommittedBatchId(await list('commits'), await list('offsets'));
    if (id === undefined) return undefined;
    const file = path.join(this.config.checkpointDir, 'offsets', `${id}`);
    return parseOffsetsFile(id, await fs.readFile(file, 'utf8'), file);
  }
}

/**
 * Reads the dead-letter topic from its start and follows it, counting; a failure (no topic yet, a lost broker)
 * starts the count again from the start after a pause. `current()` is the count being kept.
 */
class DeadLetterReader {
  private tally?: DeadLetterTally;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  public current(): DeadLetterTally | undefined {
    return this.tally;
  }

  /** Runs until the process ends. */
  public async run(): Promise<never> {
    for (;;) {
      try {
        await this.readOnce();
      } catch (error) {
        log(`dead letters: ${describeError(error)}; reading ${this.topic} again from its start in ${RECONNECT_DELAY_MS / 1000} s`);
      }
      this.tally = undefined;
      await sleep(RECONNECT_DELAY_MS);
    }
  }

  /** Resolves never; rejects when reading stops. */
  private async readOnce(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: TopicEnds;
    try {
      ends = new Map((await admin.fetchTopicOffsets(this.topic)).map(({ partition, low, high }) => [partition, { low: Number(low), high: Number(high) }]));
    } finally {
      await admin.disconnect();
    }
    const tally = new DeadLetterTally(ends);
    // A group of its own that commits nothing: it reads from the start each time, and Kafka drops it once empty.
    const consumer = this.kafka.consumer({ groupId: `pipeline-metrics-${randomUUID()}`, allowAutoTopicCreation: false });
    const stopped = new Promise<Error>((resolve) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error));
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: ({ partition, message }) => {
          tally.add(partition, Number(message.offset), message.value);
          return Promise.resolve();
        },
      });
      this.tally = tally;
      throw await stopped;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }
}

function main(): void {
  const config = loadPipelineMetricsConfig(process.env);
  const kafka = createKafka(config.kafkaBrokers, 'pipeline-metrics', config.kafkaLogin);
  const sources = new LiveSources(config, kafka);
  const deadLetters = new DeadLetterReader(kafka, config.dlqTopic);
  void deadLetters.run();

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (url.pathname === '/metrics') {
      collectFigures(sources, config, deadLetters.current(), { timeoutMs: SOURCE_TIMEOUT_MS, log }).then(
        (families) => response.writeHead(200, { 'Content-Type': CONTENT_TYPE }).end(renderMetrics(families)),
        (error: unknown) => response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${describeError(error)}\n`),
      );
    } else if (url.pathname === '/-/healthy') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('the figures are at /metrics\n');
    }
  });
  // As the container's main process, Node.js would ignore the stop signal and wait out the grace period to be killed,
  // which a swarm's service removal reports as a failed destroy. Its consumer group commits nothing: Kafka drops it.
  process.on('SIGTERM', () => process.exit(0));
  server.listen(PIPELINE_METRICS_PORT, () => {
    log(`serving the pipeline's figures on :${PIPELINE_METRICS_PORT}/metrics (${redactDsn(config.pgDsn)}, ${config.kafkaBrokers.join(',')}, ` +
      `topics ${config.topic} and ${config.dlqTopic}, checkpoint ${config.checkpointDir})`);
  });
}

try {
  main();
} catch (error) {
  // A malformed variable: named in the message, and nothing to serve.
  console.error(`pipeline-metrics: ${describeError(error)}`);
  process.exit(1);
}
