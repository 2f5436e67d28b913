import { benchConfig } from '../../bench/config';

describe('the benchmark settings', () => {
  test('defaults: three runs, bursts of 20,000 (three runs) and 100,000 (one run)', () => {
    expect(benchConfig({})).toEqual({
      deployments: [{ name: 'single', profile: 'single' }, { name: 'replicated', profile: 'replicated' }],
      repeats: 3,
      bursts: [{ users: 20000, repeats: 3 }, { users: 100000, repeats: 1 }],
      rate: 200,
      seconds: 30,
      concurrencies: [64, 256, 1024],
      dagUsers: 5000,
      idleSeconds: 20,
      keep: false,
    });
  });

  test('repeats apply to each burst without its own count', () => {
    const config = benchConfig({ KP_BENCH_REPEATS: '5', KP_BENCH_BURSTS: '1000, 50000x2', KP_BENCH_CONCURRENCIES: '8', KP_BENCH_KEEP: 'true' });
    expect(config.bursts).toEqual([{ users: 1000, repeats: 5 }, { users: 50000, repeats: 2 }]);
    expect(config.concurrencies).toEqual([8]);
    expect(config.keep).toBe(true);
  });

  test('deployments: a profile, optionally with the commit log\'s sync mode', () => {
    expect(benchConfig({ KP_BENCH_DEPLOYMENTS: 'replicated, replicated/group' }).deployments).toEqual([
      { name: 'replicated', profile: 'replicated' },
      { name: 'replicated/group', profile: 'replicated', commitlogSync: 'group' },
    ]);
  });

  test('bad values are refused, naming the variable', () => {
    expect(() => benchConfig({ KP_BENCH_DEPLOYMENTS: 'triple' })).toThrow(
      "KP_BENCH_DEPLOYMENTS must be deployments separated by commas, each single or replicated, optionally /periodic or /group (the commit log's sync), got 'triple'",
    );
    expect(() => benchConfig({ KP_BENCH_DEPLOYMENTS: 'single,single' })).toThrow("KP_BENCH_DEPLOYMENTS names a deployment twice: 'single,single'");
    expect(() => benchConfig({ KP_BENCH_REPEATS: '0' })).toThrow("KP_BENCH_REPEATS must be a whole number from 1 up, got '0'");
    expect(() => benchConfig({ KP_BENCH_BURSTS: '20k' })).toThrow("KP_BENCH_BURSTS must be burst sizes separated by commas, each USERS or USERSxRUNS (e.g. 20000,100000x1), got '20k'");
    expect(() => benchConfig({ KP_BENCH_DAG_USERS: '6000' })).toThrow("KP_BENCH_DAG_USERS must be a whole number from 1 to 5000, got '6000'");
    expect(() => benchConfig({ KP_BENCH_KEEP: 'yes' })).toThrow("KP_BENCH_KEEP must be true or false, got 'yes'");
    expect(() => benchConfig({ BENCH_USERS: '1000' })).toThrow('BENCH_USERS is now KP_BENCH_BURSTS');
  });
});
