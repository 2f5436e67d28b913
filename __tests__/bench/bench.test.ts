import * as fs from 'fs';
import * as path from 'path';
import { decodeConfluent, encodeConfluent, stringFields } from '../../ops/avro';
import { latencySvg } from '../../bench/chart';
import { comparisonTable, percentile, ratePerSecond } from '../../bench/stats';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8'));
const fields = stringFields(schema);
const row = Object.fromEntries(fields.map((f, i) => [f, f === 'id' ? '6f1c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f5' : `${f}-${'é'.repeat(i * 9)}`]));

describe('Confluent-framed Avro of the users contract', () => {
  test('frames with magic byte 0 and the big-endian schema id, and round-trips every field', () => {
    const message = encodeConfluent(fields, 258, row);
    expect([...message.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(decodeConfluent(fields, 258, message)).toEqual(row);
  });

  test('encodes a string as its zigzag length then its UTF-8 bytes (the Avro spec)', () => {
    const one = encodeConfluent(['id'], 1, { id: 'ab' });
    expect([...one.subarray(5)]).toEqual([4, 0x61, 0x62]);
    const long = encodeConfluent(['id'], 1, { id: 'x'.repeat(100) });
    expect([...long.subarray(5, 7)]).toEqual([0xc8, 0x01]);
  });

  test('refuses what it cannot read, naming the problem', () => {
    expect(() => decodeConfluent(fields, 1, Buffer.from('{"id":1}'))).toThrow('not a Confluent-framed message');
    expect(() => decodeConfluent(fields, 2, encodeConfluent(fields, 1, row))).toThrow('written with schema id 1, expected 2');
    expect(() => decodeConfluent(fields, 1, encodeConfluent(fields, 1, row).subarray(0, 20))).toThrow(/ends inside field|bad length/);
    expect(() => encodeConfluent(fields, 1, { ...row, email: undefined as any })).toThrow("record field 'email' must be a string");
    expect(() => stringFields({ type: 'record', fields: [{ name: 'id', type: 'string' }, { name: 'age', type: 'int' }] })).toThrow("schema field 'age' has type \"int\"");
  });
});

describe('benchmark figures', () => {
  test('percentiles by nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile(samples, 101)).toThrow('between 0 and 100');
  });

  test('rate over the span, refusing an empty span', () => {
    expect(ratePerSecond(1000, 10_000, 12_000)).toBe(500);
    expect(() => ratePerSecond(1, 5, 5)).toThrow('must come after the start');
  });

  test('the table gives each rate as a ratio of the reference rows', () => {
    const table = comparisonTable(
      [{ name: 'ceiling', usersPerSecond: 1000 }, { name: 'pipeline', usersPerSecond: 250, p50Ms: 1200, p99Ms: 4800 }],
      ['ceiling'],
    );
    const [header, ceiling, pipeline] = table.split('\n');
    expect(header).toMatch(/users\/s\s+p50 ms\s+p99 ms\s+÷ ceiling/);
    expect(ceiling.split(/\s+/)).toEqual(['ceiling', '1000', '-', '-', '1.00']);
    expect(pipeline.split(/\s+/)).toEqual(['pipeline', '250', '1200', '4800', '0.25']);
  });

  test('the latency chart plots every point inside the frame, with a legend per series', () => {
    const svg = latencySvg('t <1>', [
      { name: 'a', color: '#f00', points: [[0, 10], [30, 900]] },
      { name: 'b', color: '#00f', points: [[15, 5]] },
    ]);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('t &lt;1&gt;');
    for (const [, cx, cy] of svg.matchAll(/cx="([\d.]+)" cy="([\d.]+)"/g)) {
      expect(Number(cx)).toBeGreaterThanOrEqual(70);
      expect(Number(cx)).toBeLessThanOrEqual(980);
      expect(Number(cy)).toBeGreaterThanOrEqual(60);
      expect(Number(cy)).toBeLessThanOrEqual(470);
    }
    expect(() => latencySvg('empty', [])).toThrow('at least one point');
  });
});
