import * as fs from 'node:fs';
import * as path from 'node:path';
import { Type, type Schema } from 'avsc';
import { confluentHeader, decodeConfluent, encodeConfluent } from '../../jobs/lib/confluent';
import type { TopicMessage } from '../../jobs/lib/topic';
import { formatReport, parseLetter, parseReplayArgs, planReplay, recordOf, reframe, selects, type DeadLetter, type WriterTypes } from '../../jobs/replay';

const V1_SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8')) as { name: string; fields: object[] };
const V1 = Type.forSchema(V1_SCHEMA as Schema);
const V2 = Type.forSchema({ ...V1_SCHEMA, fields: [...V1_SCHEMA.fields, { name: 'nationality', type: 'string', default: '', sourcePath: 'nat' }] } as Schema);
// A producer's own record with the users' fields, under another name: the stream cannot resolve it onto the users.
const LEGACY = Type.forSchema({ ...V1_SCHEMA, name: 'LegacyUser' } as Schema);
const ID = '6F1C3F1E-8B5A-4B8E-9A55-0D7C1C2F9A10';
const USER: Record<string, string> = Object.fromEntries(
  V1_SCHEMA.fields.map((f) => (f as { name: string }).name).map((name) => [name, name === 'id' ? ID : `${name}-value`]),
);
const writers: WriterTypes = (id) => Promise.resolve(({ 1: V1, 2: V2, 30: LEGACY } as Record<number, Type>)[id]);

const letter = (record: unknown, at = '0:1'): DeadLetter => ({ at, stage: 'stream', reason: 'unknown schema id', record });
const base64 = (buffer: Buffer) => buffer.toString('base64');

describe('parseReplayArgs', () => {
  it('takes a stage, a reason and the flags', () => {
    expect(parseReplayArgs(['--stage', 'stream', '--reason', ' unknown schema id ', '--dry-run'])).toEqual({ stage: 'stream', reason: 'unknown schema id', dryRun: true, json: false });
  });

  it('refuses the ingest stage, saying why', () => {
    expect(() => parseReplayArgs(['--stage', 'ingest', '--reason', 'x'])).toThrow('--stage ingest cannot be replayed: those letters are raw API records');
  });

  it.each([
    [['--reason', 'x'], '--stage must be stream, got null'],
    [['--stage', 'stream'], '--reason is required'],
    [['--stage', 'stream', '--reason', 'x', '--all'], "Unknown option '--all'"],
  ])('%j is refused with the usage', (args, message) => {
    expect(() => parseReplayArgs(args)).toThrow(message);
    expect(() => parseReplayArgs(args)).toThrow('usage: replay --stage stream --reason REASON');
  });
});

describe('selecting dead letters', () => {
  const message = (value: string | null): TopicMessage => ({ partition: 2, offset: '17', key: null, value: value === null ? null : Buffer.from(value) });

  it('reads the contract shape, and nothing from other messages', () => {
    expect(parseLetter(message(JSON.stringify({ stage: 'stream', reason: 'r', field: null, record: 'AAAA', source: null })))).toEqual({ at: '2:17', stage: 'stream', reason: 'r', record: 'AAAA' });
    for (const value of ['not json', '[1]', '"text"', null]) expect(parseLetter(message(value))).toBeUndefined();
  });

  it('selects by stage and reason, a reason naming its field included', () => {
    const options = { stage: 'stream', reason: 'missing or empty required field' } as const;
    expect(selects({ ...letter(null), reason: 'missing or empty required field: email' }, options)).toBe(true);
    expect(selects({ ...letter(null), reason: 'missing or empty required field' }, options)).toBe(true);
    expect(selects({ ...letter(null), reason: 'missing or empty required fields' }, options)).toBe(false);
    expect(selects({ ...letter(null), stage: 'ingest', reason: 'missing or empty required field' }, options)).toBe(false);
  });
});

describe('recordOf: the record a letter carries', () => {
  it('is the decoded record when the stream could read it', async () => {
    expect(await recordOf(letter(USER), writers)).toEqual(USER);
  });

  it('is the raw message decoded with the writer schema of its id', async () => {
    expect(await recordOf(letter(base64(encodeConfluent(LEGACY, 30, USER))), writers)).toEqual(USER);
  });

  it.each([
    ['an id the registry does not know', () => base64(encodeConfluent(V1, 99, USER)), 'schema id 99 is unknown to the registry'],
    ['bytes that are no record of the id', () => base64(Buffer.concat([confluentHeader(1), Buffer.from([0xff, 0xff, 0xff])])), 'not readable with schema id 1'],
    ['a message without the framing', () => base64(Buffer.from('{"id": 1}')), 'not a Confluent-framed message'],
    ['text that is not base64', () => 'not base64!', 'neither a JSON object nor base64'],
    ['no record at all', () => null, 'the letter holds no record'],
  ])('says why there is none for %s', async (_case, record, problem) => {
    expect(await recordOf(letter(record()), writers)).toContain(problem);
  });
});

describe('reframe: the record as the latest schema frames it', () => {
  it('fills a field the record lacks with its default, keys by the lower-cased id', () => {
    const framed = reframe(USER, V2, 2);
    if (typeof framed === 'string') throw new Error(framed);
    expect(framed.id).toBe(ID.toLowerCase());
    expect(decodeConfluent(V2, 2, framed.value)).toEqual({ ...USER, nationality: '' });
  });

  it('drops a field the latest schema does not have', () => {
    const framed = reframe({ ...USER, nationality: 'GB', extra: 'x' }, V1, 1);
    if (typeof framed === 'string') throw new Error(framed);
    expect(decodeConfluent(V1, 1, framed.value)).toEqual(USER);
  });

  it('names a missing field without a default, and a value of the wrong type', () => {
    const { email: _email, ...withoutEmail } = USER;
    expect(reframe(withoutEmail, V1, 1)).toBe("the record lacks field 'email', which has no default");
    expect(reframe({ ...USER, phone: 5 }, V1, 1)).toBe("record field 'phone' must be string, got 5");
  });
});

describe('planReplay', () => {
  it('sends one message per user, the latest letter winning, and lists what it cannot replay', async () => {
    const other = { ...USER, id: '0e6b1ab4-3c52-4b38-8a55-3f0b4d0b5a11' };
    const letters = [
      letter(base64(encodeConfluent(LEGACY, 30, USER)), '0:1'),
      letter(other, '1:4'),
      letter({ ...USER, first_name: 'Again' }, '2:9'),
      letter(base64(encodeConfluent(V1, 99, USER)), '2:10'),
    ];

    const plan = await planReplay(letters, V2, 2, writers);

    expect(plan.selected).toBe(4);
    expect(plan.messages.map(({ id }) => id)).toEqual([ID.toLowerCase(), other.id]);
    expect(decodeConfluent(V2, 2, plan.messages[0].value).first_name).toBe('Again');
    expect(plan.skipped).toEqual([{ at: '2:10', problem: 'schema id 99 is unknown to the registry' }]);
    expect(formatReport(plan, { stage: 'stream', reason: 'unknown schema id', dryRun: true, json: false }, 'users_created')).toBe(
      [
        "dead letters (stage stream, reason 'unknown schema id'): 4",
        "would replay to 'users_created': 2 user(s)",
        'cannot be replayed: 1',
        '  dead letter 2:10: schema id 99 is unknown to the registry',
      ].join('\n'),
    );
  });
});
