import {
  assessPipeline,
  compareWithCassandra,
  formatTable,
  IdSampler,
  type IdSample,
  type Observation,
  parseDeadLetter,
  parseVerifyArgs,
  type UserRow,
} from '../../jobs/verify';
import { UuidList, UuidListBuilder } from '../../jobs/lib/uuid-list';

/** Deterministic uuids: uuid(1) = '00000000-0000-4000-8000-000000000001'. */
function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => uuid(from + i));
}

function uuids(ids: string[]): UuidList {
  const builder = new UuidListBuilder();
  for (const id of ids) builder.add(id);
  return builder.build();
}

function sampleOf(ids: string[]): IdSample {
  const sampler = new IdSampler();
  for (const id of ids) sampler.add(id);
  return sampler.sample();
}

const NONE: IdSample = { count: 0, ids: [] };

/** 100 fetched, 3 rejected and dead-lettered at ingest, 97 stored, published and in Cassandra. */
const GOOD: Observation = {
  fetched: 100,
  unfinishedRuns: 0,
  unidentifiedRuns: 0,
  rejected: 3,
  stored: 97,
  published: 97,
  cassandra: 97,
  deadLettered: 3,
  deadLetteredByStage: { ingest: 3, outbox: 0, stream: 0, unknown: 0 },
  ingestLost: NONE,
  stuck: NONE,
  streamLost: NONE,
  unexpected: NONE,
};
const OPTIONS = { stuckAfterSeconds: 600 };

describe('assessPipeline', () => {
  it('is ok when no check found a user missing, stuck or unexpected', () => {
    expect(assessPipeline(GOOD, OPTIONS)).toEqual({
      ok: true,
      summary: {
        fetched: 100,
        rejected: 3,
        stored: 97,
        published: 97,
        cassandra: 97,
        deadLettered: 3,
        deadLetteredIngest: 3,
        deadLetteredOutbox: 0,
        deadLetteredStream: 0,
      },
      problems: [],
      notes: [],
    });
  });

  it('is ok when the source sent the same users again: fetched counts them twice, the ids match', () => {
    // A re-seeded API: a second run fetched the same 97 valid users (and the same 3 bad records).
    expect(assessPipeline({ ...GOOD, fetched: 200 }, OPTIONS).ok).toBe(true);
  });

  it('reports users a run fetched but that are not stored as lost at ingest, with the first 10 ids', () => {
    const lost = sampleOf(range(86, 97));
    expect(assessPipeline({ ...GOOD, ingestLost: lost }, OPTIONS).problems).toEqual([
      {
        stage: 'ingest',
        kind: 'lost',
        count: 12,
        ids: range(86, 95),
        message: `ingest: 12 users lost: fetched by a run, not stored: ${range(86, 95).join(', ')}, ... (2 more)`,
      },
    ]);
  });

  it('reports published users missing from Cassandra as lost in the stream', () => {
    const { ok, problems } = assessPipeline({ ...GOOD, cassandra: 96, streamLost: sampleOf([uuid(97)]) }, OPTIONS);
    expect(ok).toBe(false);
    expect(problems).toEqual([
      { stage: 'stream', kind: 'lost', count: 1, ids: [uuid(97)], message: `stream: 1 published users neither in Cassandra nor dead-lettered: ${uuid(97)}` },
    ]);
  });

  it('reports users unpublished for longer than the threshold as a stuck outbox', () => {
    expect(assessPipeline({ ...GOOD, stuck: sampleOf([uuid(96)]) }, OPTIONS).problems).toEqual([
      { stage: 'outbox', kind: 'stuck', count: 1, ids: [uuid(96)], message: `outbox: 1 users unpublished for more than 600 s: ${uuid(96)}` },
    ]);
  });

  it('counts users the outbox dead-lettered as stored, in the dead-letter row, and as no problem', () => {
    // 97 stored: 95 published and in Cassandra, 2 refused by the producer and dead-lettered by the outbox.
    const observation = { ...GOOD, published: 95, cassandra: 95, deadLettered: 5, deadLetteredByStage: { ingest: 3, outbox: 2, stream: 0, unknown: 0 } };
    const assessment = assessPipeline(observation, OPTIONS);
    expect(assessment.problems).toEqual([]);
    expect(assessment.notes).toEqual([]);
    expect(assessment.summary).toMatchObject({ stored: 97, published: 95, deadLettered: 5, deadLetteredOutbox: 2 });
  });

  it('reports ids in Cassandra that PostgreSQL does not have as unexpected', () => {
    const stray = 'ffffffff-0000-4000-8000-000000000000';
    expect(assessPipeline({ ...GOOD, unexpected: sampleOf([stray]) }, OPTIONS).problems).toEqual([
      { stage: 'cassandra', kind: 'unexpected', count: 1, ids: [stray], message: `cassandra: 1 ids in Cassandra but not in PostgreSQL: ${stray}` },
    ]);
  });

  it('notes what it could not check: unfinished runs, runs without recorded ids, unread dead letters', () => {
    const observation = { ...GOOD, unfinishedRuns: 1, unidentifiedRuns: 2, deadLettered: 10, deadLetteredByStage: { ingest: 3, outbox: 0, stream: 0, unknown: 1 } };
    const { ok, notes } = assessPipeline(observation, OPTIONS);
    expect(ok).toBe(true);
    expect(notes).toEqual([
      '1 ingest run(s) not finished: their users are checked once they are',
      '2 ingest run(s) recorded no user ids (stored before runs recorded them): their users are not checked',
      'dead-letter topic: 6 of 10 messages not read in time; their ids count as not dead-lettered',
    ]);
  });

  it('checks --expect against the users in Cassandra', () => {
    expect(assessPipeline(GOOD, { ...OPTIONS, expect: 97 }).ok).toBe(true);
    expect(assessPipeline(GOOD, { ...OPTIONS, expect: 100 }).problems).toEqual([
      { stage: 'cassandra', kind: 'expect', count: 97, ids: [], message: 'cassandra: expected exactly 100 users, found 97' },
    ]);
  });

  it('reports every problem at once', () => {
    const one = sampleOf([uuid(1)]);
    const { problems } = assessPipeline({ ...GOOD, ingestLost: one, stuck: one, streamLost: one, unexpected: one }, { ...OPTIONS, expect: 1 });
    expect(problems.map(({ stage, kind }) => `${stage} ${kind}`)).toEqual(['ingest lost', 'outbox stuck', 'stream lost', 'cassandra unexpected', 'cassandra expect']);
  });
});

/** PostgreSQL's users as verify pages through them: sorted by id, `size` rows a page. */
async function* pages(rows: UserRow[], size: number): AsyncGenerator<UserRow[]> {
  const sorted = [...rows].sort((a, b) => a.id.localeCompare(b.id));
  // Each page arrives asynchronously, as a query's answer does.
  for (let at = 0; at < sorted.length; at += size) yield await Promise.resolve(sorted.slice(at, at + size));
}
const published = (ids: string[]): UserRow[] => ids.map((id) => ({ id, published: true }));

describe('compareWithCassandra: PostgreSQL users page by page against Cassandra ids', () => {
  it('finds nothing when the published users are exactly the ids in Cassandra, across page boundaries', async () => {
    const ids = range(1, 97);
    expect(await compareWithCassandra(pages(published(ids), 10), uuids([...ids].reverse()), uuids([]))).toEqual({ streamLost: NONE, unexpected: NONE });
  });

  it('reports published users that are neither in Cassandra nor dead-lettered by the stream, in id order', async () => {
    const rows = published(range(1, 97));
    const result = await compareWithCassandra(pages(rows, 7), uuids(range(1, 85)), uuids([uuid(96), uuid(97)]));
    expect(result.streamLost).toEqual({ count: 10, ids: range(86, 95) });
    expect(result.unexpected).toEqual(NONE);
  });

  it('does not count unpublished users missing from Cassandra: not sent yet, or dead-lettered by the outbox', async () => {
    const rows = [...published(range(1, 90)), ...range(91, 97).map((id) => ({ id, published: false }))];
    expect((await compareWithCassandra(pages(rows, 5), uuids(range(1, 90)), uuids([]))).streamLost).toEqual(NONE);
  });

  it('reports Cassandra ids that PostgreSQL does not have as unexpected: before, between and after its users', async () => {
    const strays = ['00000000-0000-0000-0000-000000000000', uuid(50).replace(/^0/, '1'), 'ffffffff-ffff-4fff-bfff-ffffffffffff'];
    const result = await compareWithCassandra(pages(published(range(1, 20)), 3), uuids([...range(1, 20), ...strays]), uuids([]));
    expect(result.unexpected).toEqual({ count: 3, ids: [...strays].sort() });
    expect(result.streamLost).toEqual(NONE);
  });

  it('refuses a users.id that is not a UUID rather than compare it wrongly', async () => {
    await expect(compareWithCassandra(pages([{ id: 'not-a-uuid', published: true }], 1), uuids([]), uuids([]))).rejects.toThrow(
      "users.id 'not-a-uuid' is not a UUID",
    );
  });
});

describe('UuidList', () => {
  it('sorts as PostgreSQL orders uuid (byte by byte), drops duplicates, and finds ids in any case', () => {
    const list = uuids(['ffffffff-0000-4000-8000-000000000000', uuid(2), uuid(1), uuid(2).toUpperCase(), '80000000-0000-4000-8000-000000000000']);
    expect(Array.from({ length: list.size }, (_, i) => list.idAt(i))).toEqual([uuid(1), uuid(2), '80000000-0000-4000-8000-000000000000', 'ffffffff-0000-4000-8000-000000000000']);
    expect([list.has(uuid(2).toUpperCase()), list.has(uuid(3)), list.has('not a uuid')]).toEqual([true, false, false]);
  });

  it('leaves out text that is not a UUID, saying so', () => {
    const builder = new UuidListBuilder();
    expect([builder.add('bad-key'), builder.add(uuid(1))]).toEqual([false, true]);
    expect(builder.build().size).toBe(1);
  });
});

describe('formatTable', () => {
  it('prints one row per stage, counts aligned', () => {
    const table = formatTable(assessPipeline(GOOD, OPTIONS));
    expect(table.split('\n')).toEqual([
      'stage                 count',
      'fetched                 100',
      'rejected at ingest        3',
      'stored                   97',
      'published                97',
      'in Cassandra             97',
      'dead-lettered             3  (ingest 3, outbox 0, stream 0)',
    ]);
  });
});

describe('parseDeadLetter', () => {
  const value = (body: unknown) => Buffer.from(JSON.stringify(body));

  it('reads the stage and takes the id from the key', () => {
    const letter = value({ stage: 'stream', reason: 'undecodable', field: null, record: 'AAEC', source: null });
    expect(parseDeadLetter(Buffer.from(uuid(7).toUpperCase()), letter)).toEqual({ stage: 'stream', id: uuid(7) });
  });

  it("falls back to the record's id when there is no key", () => {
    const letter = value({ stage: 'ingest', reason: 'invalid email', field: 'email', record: { id: uuid(8) }, source: null });
    expect(parseDeadLetter(null, letter)).toEqual({ stage: 'ingest', id: uuid(8) });
  });

  it('reads the outbox stage', () => {
    expect(parseDeadLetter(Buffer.from(uuid(5)), value({ stage: 'outbox', record: 'AAEC', truncated: true }))).toEqual({ stage: 'outbox', id: uuid(5) });
  });

  it('has no id for an undecodable record without a key', () => {
    expect(parseDeadLetter(null, value({ stage: 'stream', record: 'AAEC' }))).toEqual({ stage: 'stream', id: null });
  });

  it('marks a message that does not follow the contract as unknown', () => {
    expect(parseDeadLetter(null, Buffer.from('not json'))).toEqual({ stage: 'unknown', id: null });
    expect(parseDeadLetter(Buffer.from(uuid(9)), value({ stage: 'spark' }))).toEqual({ stage: 'unknown', id: uuid(9) });
    expect(parseDeadLetter(null, null)).toEqual({ stage: 'unknown', id: null });
  });
});

describe('parseVerifyArgs', () => {
  it('defaults to a single check printing the table', () => {
    expect(parseVerifyArgs([])).toEqual({ json: false, expect: undefined, waitSeconds: 0, stuckAfterSeconds: 600 });
  });

  it('reads every flag', () => {
    expect(parseVerifyArgs(['--json', '--expect', '100', '--wait=120', '--stuck-after', '30'])).toEqual({
      json: true,
      expect: 100,
      waitSeconds: 120,
      stuckAfterSeconds: 30,
    });
  });

  it.each([
    [['--expect', 'ten'], "--expect must be a whole number, got 'ten'"],
    [['--wait=-5'], "--wait must be a whole number, got '-5'"],
    [['--stuck-after', '1.5'], "--stuck-after must be a whole number, got '1.5'"],
    [['--verbose'], "Unknown option '--verbose'"],
    [['--expect'], "Option '--expect <value>' argument missing"],
  ])('rejects %j with a message and the usage', (args, message) => {
    expect(() => parseVerifyArgs(args)).toThrow(message);
    expect(() => parseVerifyArgs(args)).toThrow('usage: verify [--json] [--expect N] [--wait SECONDS] [--stuck-after SECONDS]');
  });
});
