/**
 * Replay job: sends dead-lettered users back to the users topic, so that users an earlier fault dead-lettered (a
 * producer framing with a schema the stream could not read, a stream that knew only one schema id) are not lost.
 *
 *   replay --stage stream --reason REASON [--dry-run] [--json]
 *
 * Reads the dead-letter topic to its end and keeps the letters of the stage whose reason is REASON (or REASON
 * followed by ': ' and a field). Each letter's record is the decoded record (JSON) or the raw message (base64),
 * which is decoded with the writer schema of the id it is framed with. The record is framed anew with the
 * subject's latest schema (fields it lacks take their defaults, fields the schema lacks are dropped) and produced
 * keyed by its id, once per id. Replaying again only upserts the same rows; a record that fails the stream's
 * checks again is dead-lettered again. Exit 0 when every selected letter was replayed (or, with --dry-run, could
 * be), 1 naming those that cannot be.
 *
 * Only the stream stage can be replayed: an ingest-stage letter is a raw API record that failed validation, not a
 * users record; its user, if any, is fetched again by a later run.
 */
import { parseArgs } from 'node:util';
import { Type, type Schema } from 'avsc';
import { createKafka } from './lib/clients';
import { loadReplayConfig, type Env } from './lib/config';
import { encodeConfluent, readConfluentHeader } from './lib/confluent';
import { latestSchema, schemaById } from './lib/registry';
import { describeError } from './lib/retry';
import { log, runMain, step } from './lib/run';
import { recordFields } from './lib/schema-compatibility';
import { readTopicToEnd, type TopicMessage } from './lib/topic';

const SERVICE_TIMEOUT_MS = 60_000;
const DLQ_READ_TIMEOUT_MS = 120_000;
const SEND_BATCH = 500;
const SHOWN = 10;

// ---- Command line (pure) ----

export interface ReplayOptions {
  readonly stage: 'stream';
  readonly reason: string;
  readonly dryRun: boolean;
  readonly json: boolean;
}

const USAGE = "usage: replay --stage stream --reason REASON [--dry-run] [--json]   (e.g. --reason 'unknown schema id')";

export function parseReplayArgs(args: string[]): ReplayOptions {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        stage: { type: 'string' },
        reason: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new Error(`${describeError(error)}\n${USAGE}`);
  }
  if (flags.stage === 'ingest') {
    throw new Error(
      '--stage ingest cannot be replayed: those letters are raw API records that failed validation, not users ' +
        `records (their users are fetched again by later runs)\n${USAGE}`,
    );
  }
  if (flags.stage !== 'stream') throw new Error(`--stage must be stream, got ${JSON.stringify(flags.stage ?? null)}\n${USAGE}`);
  if (!flags.reason?.trim()) throw new Error(`--reason is required: the dead-letter reason to replay\n${USAGE}`);
  return { stage: 'stream', reason: flags.reason.trim(), dryRun: flags['dry-run'], json: flags.json };
}

// ---- Dead letters (pure) ----

export interface DeadLetter {
  /** Where the letter is in the dead-letter topic, `partition:offset`. */
  readonly at: string;
  readonly stage: unknown;
  readonly reason: unknown;
  /** The decoded record, base64 of the raw message, or whatever else the letter holds. */
  readonly record: unknown;
}

/** A letter of the contract's shape (docs/pipeline.md); undefined for a message that is not one. */
export function parseLetter(message: TopicMessage): DeadLetter | undefined {
  let body: unknown;
  try {
    body = message.value ? JSON.parse(message.value.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { stage, reason, record } = body as Record<string, unknown>;
  return { at: `${message.partition}:${message.offset}`, stage, reason, record };
}

/** The letter is of the stage, and its reason is `reason` or `reason: <field>`. */
export function selects(letter: DeadLetter, options: Pick<ReplayOptions, 'stage' | 'reason'>): boolean {
  const { reason } = letter;
  return letter.stage === options.stage && typeof reason === 'string' && (reason === options.reason || reason.startsWith(`${options.reason}: `));
}

/** A writer schema by registry id; undefined when the registry does not know it. */
export type WriterTypes = (schemaId: number) => Promise<Type | undefined>;

/** The record a letter carries, decoding raw bytes with their writer's schema; a string says why there is none. */
export async function recordOf(letter: DeadLetter, writerType: WriterTypes): Promise<Record<string, unknown> | string> {
  const { record } = letter;
  if (typeof record === 'object' && record !== null && !Array.isArray(record)) return record as Record<string, unknown>;
  if (typeof record !== 'string') return 'the letter holds no record';
  const bytes = Buffer.from(record, 'base64');
  if (bytes.toString('base64') !== record) return 'the letter\'s record is neither a JSON object nor base64';
  let header;
  try {
    header = readConfluentHeader(bytes);
  } catch (error) {
    return describeError(error);
  }
  const type = await writerType(header.schemaId);
  if (type === undefined) return `schema id ${header.schemaId} is unknown to the registry`;
  try {
    return { ...(type.fromBuffer(header.body) as Record<string, unknown>) };
  } catch (error) {
    return `not readable with schema id ${header.schemaId}: ${describeError(error)}`;
  }
}

/** The record as the latest schema frames it, keyed by its id; a string says why it cannot be. */
export function reframe(record: Record<string, unknown>, latest: Type, latestId: number): { id: string; value: Buffer } | string {
  const framed: Record<string, unknown> = {};
  for (const field of recordFields(latest)) {
    const value = record[field.name] !== undefined ? record[field.name] : field.defaultValue();
    if (value === undefined) return `the record lacks field '${field.name}', which has no default`;
    framed[field.name] = value;
  }
  if (typeof framed.id !== 'string' || framed.id.trim() === '') return 'the record has no id';
  try {
    return { id: framed.id.toLowerCase(), value: encodeConfluent(latest, latestId, framed) };
  } catch (error) {
    return describeError(error);
  }
}

export interface ReplayPlan {
  /** Letters selected by stage and reason. */
  readonly selected: number;
  /** One message per user id (a user dead-lettered twice is sent once). */
  readonly messages: Array<{ id: string; value: Buffer }>;
  /** Selected letters that cannot be replayed, and why. */
  readonly skipped: Array<{ at: string; problem: string }>;
}

/** What replaying `letters` with the latest schema sends, and what it cannot. */
export async function planReplay(letters: readonly DeadLetter[], latest: Type, latestId: number, writerType: WriterTypes): Promise<ReplayPlan> {
  const byId = new Map<string, Buffer>();
  const skipped: Array<{ at: string; problem: string }> = [];
  for (const letter of letters) {
    const record = await recordOf(letter, writerType);
    const message = typeof record === 'string' ? record : reframe(record, latest, latestId);
    if (typeof message === 'string') skipped.push({ at: letter.at, problem: message });
    else byId.set(message.id, message.value);
  }
  return { selected: letters.length, messages: [...byId].map(([id, value]) => ({ id, value })), skipped };
}

export function formatReport(plan: ReplayPlan, options: ReplayOptions, topic: string): string {
  const verb = options.dryRun ? 'would replay' : 'replayed';
  const lines = [
    `dead letters (stage ${options.stage}, reason '${options.reason}'): ${plan.selected}`,
    `${verb} to '${topic}': ${plan.messages.length} user(s)`,
    `cannot be replayed: ${plan.skipped.length}`,
    ...plan.skipped.slice(0, SHOWN).map(({ at, problem }) => `  dead letter ${at}: ${problem}`),
  ];
  if (plan.skipped.length > SHOWN) lines.push(`  ... (${plan.skipped.length - SHOWN} more)`);
  return lines.join('\n');
}

// ---- I/O ----

export async function main(args: string[] = process.argv.slice(2), env: Env = process.env): Promise<number> {
  const options = parseReplayArgs(args);
  const config = loadReplayConfig(env);
  const kafka = createKafka(config.kafkaBrokers, 'pipeline-replay', config.kafkaLogin);

  const letters: DeadLetter[] = [];
  await step(`reading dead-letter topic '${config.dlqTopic}'`, SERVICE_TIMEOUT_MS, async () => {
    letters.length = 0;
    const { total, read } = await readTopicToEnd(kafka, config.dlqTopic, DLQ_READ_TIMEOUT_MS, (message) => {
      const letter = parseLetter(message);
      if (letter && selects(letter, options)) letters.push(letter);
    });
    // Replaying part of what was asked, silently, would be worse than failing.
    if (read < total) throw new Error(`read ${read} of the ${total} dead letters within ${DLQ_READ_TIMEOUT_MS / 1000} s`);
  });

  const subject = `${config.topic}-value`;
  const latest = await step(`latest schema of '${subject}'`, SERVICE_TIMEOUT_MS, () => latestSchema(config.schemaRegistryUrl, subject));
  const writers = new Map<number, Type | undefined>();
  const writerType: WriterTypes = async (schemaId) => {
    if (!writers.has(schemaId)) {
      const text = await schemaById(config.schemaRegistryUrl, schemaId);
      writers.set(schemaId, text === undefined ? undefined : Type.forSchema(JSON.parse(text) as Schema));
    }
    return writers.get(schemaId);
  };
  const plan = await planReplay(letters, Type.forSchema(JSON.parse(latest.schema) as Schema), latest.id, writerType);

  if (!options.dryRun && plan.messages.length > 0) {
    await step(`producing ${plan.messages.length} user(s) to '${config.topic}' (schema id ${latest.id})`, SERVICE_TIMEOUT_MS, async () => {
      // Idempotent and acks=all, as the DAG's outbox: a retried send is not written twice.
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        for (let start = 0; start < plan.messages.length; start += SEND_BATCH) {
          const batch = plan.messages.slice(start, start + SEND_BATCH).map(({ id, value }) => ({ key: id, value }));
          await producer.send({ topic: config.topic, acks: -1, messages: batch });
        }
      } finally {
        await producer.disconnect();
      }
    });
  }
  const report = formatReport(plan, options, config.topic);
  (options.json ? console.error : console.log)(report);
  if (options.json) {
    console.log(
      JSON.stringify({ dryRun: options.dryRun, selected: plan.selected, replayed: options.dryRun ? 0 : plan.messages.length, replayable: plan.messages.length, skipped: plan.skipped }),
    );
  }
  if (plan.skipped.length > 0) log(`replay: ${plan.skipped.length} selected dead letter(s) cannot be replayed`);
  return plan.skipped.length === 0 ? 0 : 1;
}

if (require.main === module) runMain('replay', main);
