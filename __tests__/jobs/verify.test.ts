import {
  assessPipeline,
  formatTable,
  parseDeadLetter,
  parseVerifyArgs,
  type PipelineCounts,
  type PipelineIds,
} from '../../jobs/verify';

/** Deterministic uuids: uuid(1) = '00000000-0000-4000-8000-000000000001'. */
function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => uuid(from + i));
}

/** 100 fetched, 3 rejected and dead-lettered at ingest, 97 stored, published and in Cassandra. */
const GOOD_COUNTS: PipelineCounts = {
  fetched: 100,
  unfinishedRuns: 0,
  rejected: 3,
  deadLettered: 3,
  deadLetteredByStage: { ingest: 3, outbox: 0, stream: 0, unknown: 0 },
};
const GOOD_IDS: PipelineIds = {
  published: range(1, 97),
  unpublished: [],
  outboxDeadLetters: [],
  cassandra: range(1, 97),
  streamDeadLetters: [],
};
const OPTIONS = { stuckAfterSeconds: 600 };

describe('assessPipeline', () => {
  it('is ok when every fetched user is rejected or in Cassandra', () => {
    expect(assessPipeline(GOOD_COUNTS, GOOD_IDS, OPTIONS)).toEqual({
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

  it('reports published users missing from Cassandra as lost in the stream, with the first 10 ids', () => {
    const ids = { ...GOOD_IDS, cassandra: range(1, 85) };
    const { ok, problems } = assessPipeline(GOOD_COUNTS, ids, OPTIONS);
    expect(ok).toBe(false);
    expect(problems).toEqual([
      {
        stage: 'stream',
        kind: 'lost',
        count: 12,
        ids: range(86, 95),
        message: `stream: 12 published users neither in Cassandra nor dead-lettered: ${range(86, 95).join(', ')}, ... (2 more)`,
      },
    ]);
  });

  it('does not count users dead-lettered by the stream as lost', () => {
    const counts = { ...GOOD_COUNTS, deadLettered: 5, deadLetteredByStage: { ingest: 3, outbox: 0, stream: 2, unknown: 0 } };
    const ids = { ...GOOD_IDS, cassandra: range(1, 95), streamDeadLetters: range(96, 97) };
    const assessment = assessPipeline(counts, ids, OPTIONS);
    expect(assessment.ok).toBe(true);
    expect(assessment.summary).toMatchObject({ deadLettered: 5, deadLetteredIngest: 3, deadLetteredStream: 2 });
  });

  it('notes when part of the dead-letter topic could not be read', () => {
    const counts = { ...GOOD_COUNTS, deadLettered: 10, deadLetteredByStage: { ingest: 3, outbox: 0, stream: 0, unknown: 1 } };
    const ids = { ...GOOD_IDS, cassandra: range(1, 96) };
    const { problems, notes } = assessPipeline(counts, ids, OPTIONS);
    expect(problems.map(({ stage, count }) => [stage, count])).toEqual([['stream', 1]]);
    expect(notes).toEqual(['dead-letter topic: 6 of 10 messages not read in time; their ids count as not dead-lettered']);
  });

  it('reports fewer stored users than fetched minus rejected as lost at ingest', () => {
    const counts = { ...GOOD_COUNTS, fetched: 104 };
    expect(assessPipeline(counts, GOOD_IDS, OPTIONS).problems).toEqual([
      {
        stage: 'ingest',
        kind: 'lost',
        count: 4,
        ids: [],
        message: 'ingest: 4 users lost (stored 97, fetched 104 - rejected 3 = 101)',
      },
    ]);
  });

  it('reports more stored users than fetched minus rejected as unexpected at ingest', () => {
    const counts = { ...GOOD_COUNTS, fetched: 99 };
    expect(assessPipeline(counts, GOOD_IDS, OPTIONS).problems).toEqual([
      expect.objectContaining({ stage: 'ingest', kind: 'unexpected', count: 1, message: expect.stringMatching(/^ingest: 1 more users stored/) }),
    ]);
  });

  it('skips the ingest accounting while a run is unfinished, and says so', () => {
    const counts = { ...GOOD_COUNTS, fetched: 200, unfinishedRuns: 1 };
    const { ok, notes } = assessPipeline(counts, GOOD_IDS, OPTIONS);
    expect(ok).toBe(true);
    expect(notes).toEqual(['ingest accounting skipped: 1 ingest run(s) not finished']);
  });

  it('reports users unpublished for longer than the threshold as a stuck outbox', () => {
    const ids: PipelineIds = {
      ...GOOD_IDS,
      published: range(1, 95),
      unpublished: [
        { id: uuid(96), ageSeconds: 601 },
        { id: uuid(97), ageSeconds: 600 },
      ],
      cassandra: range(1, 95),
    };
    const { problems } = assessPipeline(GOOD_COUNTS, ids, OPTIONS);
    expect(problems).toEqual([
      {
        stage: 'outbox',
        kind: 'stuck',
        count: 1,
        ids: [uuid(96)],
        message: `outbox: 1 users unpublished for more than 600 s: ${uuid(96)}`,
      },
    ]);
  });

  it('does not count recently fetched, unpublished users as a problem', () => {
    const ids = { ...GOOD_IDS, published: range(1, 90), unpublished: range(91, 97).map((id) => ({ id, ageSeconds: 5 })), cassandra: range(1, 90) };
    expect(assessPipeline(GOOD_COUNTS, ids, OPTIONS).ok).toBe(true);
  });

  it('counts users the outbox dead-lettered as stored, neither stuck nor lost', () => {
    // 97 stored: 95 published and in Cassandra, 2 refused by the producer and dead-lettered by the outbox.
    const counts = { ...GOOD_COUNTS, deadLettered: 5, deadLetteredByStage: { ingest: 3, outbox: 2, stream: 0, unknown: 0 } };
    const ids = { ...GOOD_IDS, published: range(1, 95), outboxDeadLetters: range(96, 97), cassandra: range(1, 95) };
    const assessment = assessPipeline(counts, ids, OPTIONS);
    expect(assessment.problems).toEqual([]);
    expect(assessment.summary).toMatchObject({ stored: 97, published: 95, deadLetteredOutbox: 2 });
  });

  it('reports ids in Cassandra that PostgreSQL does not have as unexpected', () => {
    const stray = 'ffffffff-0000-4000-8000-000000000000';
    const ids = { ...GOOD_IDS, cassandra: [...GOOD_IDS.cassandra, stray] };
    expect(assessPipeline(GOOD_COUNTS, ids, OPTIONS).problems).toEqual([
      {
        stage: 'cassandra',
        kind: 'unexpected',
        count: 1,
        ids: [stray],
        message: `cassandra: 1 ids in Cassandra but not in PostgreSQL: ${stray}`,
      },
    ]);
  });

  it('checks --expect against the users in Cassandra', () => {
    expect(assessPipeline(GOOD_COUNTS, GOOD_IDS, { ...OPTIONS, expect: 97 }).ok).toBe(true);
    expect(assessPipeline(GOOD_COUNTS, GOOD_IDS, { ...OPTIONS, expect: 100 }).problems).toEqual([
      { stage: 'cassandra', kind: 'expect', count: 97, ids: [], message: 'cassandra: expected exactly 100 users, found 97' },
    ]);
  });

  it('reports every problem at once', () => {
    const counts = { ...GOOD_COUNTS, fetched: 110 };
    const ids = { ...GOOD_IDS, cassandra: range(2, 98) };
    const { problems } = assessPipeline(counts, ids, { ...OPTIONS, expect: 1 });
    expect(problems.map(({ stage, kind }) => `${stage} ${kind}`)).toEqual([
      'ingest lost',
      'stream lost',
      'cassandra unexpected',
      'cassandra expect',
    ]);
  });
});

describe('formatTable', () => {
  it('prints one row per stage, counts aligned', () => {
    const table = formatTable(assessPipeline(GOOD_COUNTS, GOOD_IDS, OPTIONS));
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
