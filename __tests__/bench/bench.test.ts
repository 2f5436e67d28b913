import { latencySvg } from '../../bench/chart';
import { comparisonTable, percentile, ratePerSecond } from '../../bench/stats';

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
