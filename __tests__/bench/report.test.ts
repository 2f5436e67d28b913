import { dagPhases } from '../../bench/dag';
import { chunked, probeIds } from '../../bench/observer';
import { comparisonTable, coresTable, dagTable, summaryCell, summaryTable, textTable } from '../../bench/report';
import { summarize } from '../../bench/stats';

const cells = (line: string) => line.trim().split(/\s{2,}/);

describe('the printed report', () => {
  test('a cell is min / median / max, a single run says so, a wide spread is marked', () => {
    expect(summaryCell(summarize([3100, 3146, 3300]))).toBe('3,100 / 3,146 / 3,300');
    expect(summaryCell(summarize([331]))).toBe('331 (1 run)');
    expect(summaryCell(summarize([300, 3000, 2000]))).toBe('300 / 2,000 / 3,000 !');
    expect(summaryCell(summarize([1.25, 1.5]), 1)).toBe('1.3 / 1.4 / 1.5');
    expect(summaryCell(undefined)).toBe('-');
  });

  test('text tables pad the first column left and the others right', () => {
    expect(textTable(['', 'n'], [['a', '1'], ['long', '100']])).toBe('        n\na       1\nlong  100');
  });

  test('the comparison puts the deployments side by side, with each later one\'s median over the first\'s', () => {
    const table = comparisonTable([
      { name: 'single', figures: [['pipeline users/s', summarize([1900, 2000, 2100])], ['raw users/s', summarize([10000])]] },
      { name: 'replicated', figures: [['pipeline users/s', summarize([900, 1000, 1100])], ['DAG run s', summarize([9])]] },
    ]);
    const [title, header, pipeline, raw, dag] = table.split('\n');
    expect(title).toBe('the deployments side by side: min / median / max');
    expect(cells(header)).toEqual(['single', 'replicated', 'replicated ÷ single']);
    expect(cells(pipeline)).toEqual(['pipeline users/s', '1,900 / 2,000 / 2,100', '900 / 1,000 / 1,100', '0.50']);
    expect(cells(raw)).toEqual(['raw users/s', '10,000 (1 run)', '-', '-']);
    expect(cells(dag)).toEqual(['DAG run s', '-', '9 (1 run)', '-']);
  });

  test('the summary table gives ratios of the first figure\'s medians and footnotes each wide spread', () => {
    const table = summaryTable('a burst', ['users/s', 'p50 ms'], [
      { name: 'raw', figures: [summarize([9000, 10000, 11000]), undefined] },
      { name: 'pipeline', figures: [summarize([200, 250, 900]), summarize([40, 50, 60])] },
    ], ['raw']);
    const [title, header, raw, pipeline, note] = table.split('\n');
    expect(title).toBe('a burst');
    expect(cells(header)).toEqual(['users/s', 'p50 ms', '÷ raw']);
    expect(cells(raw)).toEqual(['raw', '9,000 / 10,000 / 11,000', '-', '1.00']);
    expect(cells(pipeline)).toEqual(['pipeline', '200 / 250 / 900 !', '40 / 50 / 60', '0.03']);
    expect(note).toBe('! spread wider than 1.5× between runs: pipeline, users/s: max ÷ min = 4.50');
  });

  test('where the cores went: median cores per container and column, small ones summed, the host last', () => {
    const window = (seconds: number, cores: Record<string, number>) => ({ seconds, cpuSeconds: {}, cores, unaccounted: [] });
    const table = coresTable([
      { label: 'spark 20k', windows: [window(40, { 'kp-cassandra': 0.5, 'kp-spark-worker': 1.2, 'kp-zookeeper': 0.01, 'kp-kafka': 0.02, 'bench (this process)': 0.1, 'host (all processes)': 1.9 }), window(60, { 'kp-cassandra': 0.7, 'kp-spark-worker': 1.0, 'bench (this process)': 0.1, 'host (all processes)': 2.0 })] },
      { label: 'idle', windows: [window(20, { 'kp-cassandra': 0.05, 'kp-spark-worker': 0.2, 'kp-zookeeper': 0.01, 'bench (this process)': 0 })] },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^where the cores went/);
    expect(cells(lines[1])).toEqual(['spark 20k', 'idle']);
    expect(lines.slice(2).map(cells)).toEqual([
      ['kp-spark-worker', '1.10', '0.20'],
      ['kp-cassandra', '0.60', '0.05'],
      ['bench (this process)', '0.10', '0.00'],
      ['2 others', '0.03', '0.01'],
      ['host (all processes)', '1.95', '-'],
      ['window seconds', '50.00', '20.00'],
    ]);
  });

  test("a DAG run's phases add up to the trigger → last row total", () => {
    const phases = dagPhases({ triggered: 0, fetchStart: 4000, stored: 6000, fetchEnd: 7000, publishStart: 9000, lastPublished: 12000, lastWrite: 30000 });
    expect(phases).toEqual({ taskStart: 4, fetch: 2, postgres: 1, publish: 5, publishTaskStart: 2, stream: 18, total: 30 });
    expect(phases.taskStart + phases.fetch + phases.postgres + phases.publish + phases.stream).toBe(phases.total);
    const table = dagTable(5000, [phases, { ...phases, stream: 20, total: 32 }]);
    expect(table.split('\n')[0]).toMatch(/^a DAG run of 5,000 users/);
    expect(table).toMatch(/stream \(to the last row in Cassandra\)\s+18\.0 \/ 19\.0 \/ 20\.0/);
    expect(table).toMatch(/total: trigger → last row in Cassandra\s+30\.0 \/ 31\.0 \/ 32\.0/);
  });

  test('the observer probes the last-produced pending ids and reads write times in bounded lists', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `id${i}`);
    expect(probeIds(ids, 3)).toEqual(['id97', 'id98', 'id99']);
    expect(probeIds(['a'], 3)).toEqual(['a']);
    expect(chunked(ids, 40).map((c) => c.length)).toEqual([40, 40, 20]);
    expect(() => chunked(ids, 0)).toThrow('at least 1');
  });
});
