import { latencySvg } from '../../bench/chart';
import { delivery, percentile, ratePerSecond, summarize } from '../../bench/stats';

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

  test('min / median / max of the runs, with the spread flagged above 1.5×', () => {
    expect(summarize([300, 100, 200])).toEqual({ runs: 3, min: 100, median: 200, max: 300, spread: 3, wide: true });
    expect(summarize([100, 140, 120, 110])).toEqual({ runs: 4, min: 100, median: 115, max: 140, spread: 1.4, wide: false });
    expect(summarize([100, 150]).wide).toBe(false);
    expect(summarize([100, 151]).wide).toBe(true);
    // One run has no spread to flag, however it compares.
    expect(summarize([42])).toEqual({ runs: 1, min: 42, median: 42, max: 42, spread: 1, wide: false });
    expect(summarize([0, 5]).spread).toBe(Infinity);
    expect(summarize([0, 0]).spread).toBe(1);
    expect(() => summarize([])).toThrow('at least one run');
  });

  test('a delivery: latency per user is its write time minus its produce time, the rate spans first send to last write', () => {
    const sent = new Map([['a', 1000], ['b', 1000], ['c', 2000], ['d', 2000]]);
    const written = new Map([['a', 1100], ['b', 1300], ['c', 2050], ['d', 3000], ['unrelated', 9000]]);
    const d = delivery(sent, written);
    expect(d).toMatchObject({ users: 4, firstSendMs: 1000, lastWriteMs: 3000, usersPerSecond: 2, p50Ms: 100, p99Ms: 1000 });
    expect(d.points).toEqual([[0, 100], [0, 300], [1, 50], [1, 1000]]);
    expect(() => delivery(sent, new Map([['a', 1100]]))).toThrow('3 of 4 users have no write time, e.g. b');
    expect(() => delivery(new Map(), written)).toThrow('at least one user');
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
