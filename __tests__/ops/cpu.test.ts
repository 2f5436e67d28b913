import { cgroupCpuFile, cpuOverWindow, DeployCpu, hostBusySeconds, parseCpuCounter, roundedCpuSeconds, type CpuSample } from '../../ops/cpu';

describe('CPU accounting from cgroup counters', () => {
  test('the counter file of a process, cgroup v1 (cpuacct) before v2', () => {
    const v1 = ['12:memory:/docker/abc', '4:cpu,cpuacct:/docker/abc', '0::/'].join('\n');
    expect(cgroupCpuFile(v1)).toBe('/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage');
    expect(cgroupCpuFile('2:cpuacct:/\n1:cpu:/\n0::/', '/r')).toBe('/r/cpuacct/cpuacct.usage');
    expect(cgroupCpuFile('0::/system.slice/docker-abc.scope\n')).toBe('/sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat');
    expect(() => cgroupCpuFile('5:memory:/x')).toThrow('no cpuacct or cgroup v2 line');
  });

  test('CPU-seconds from cpu.stat (microseconds) or cpuacct.usage (nanoseconds)', () => {
    expect(parseCpuCounter('usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n')).toBe(2.5);
    expect(parseCpuCounter('1500000000\n')).toBe(1.5);
    expect(() => parseCpuCounter('max 100000')).toThrow('not a CPU counter');
  });

  test("the host's busy time leaves out idle and iowait", () => {
    const stat = 'cpu  100 20 30 1000 50 5 5 0 0 0\ncpu0 50 10 15 500 25 2 3 0 0 0\n';
    expect(hostBusySeconds(stat)).toBe(1.6);
    expect(() => hostBusySeconds('intr 1')).toThrow("no 'cpu ' line");
  });

  test('two samples give CPU-seconds and cores per name; a counter that is missing or went back is not counted', () => {
    const window = cpuOverWindow(
      { atMs: 10_000, cpuSeconds: { 'kp-cassandra': 100, 'kp-spark-worker': 50, 'kp-kafka': 7, 'kp-gone': 3 } },
      { atMs: 30_000, cpuSeconds: { 'kp-cassandra': 130, 'kp-spark-worker': 60, 'kp-kafka': 2, 'kp-new': 1 } },
    );
    expect(window).toEqual({
      seconds: 20,
      cpuSeconds: { 'kp-cassandra': 30, 'kp-spark-worker': 10 },
      cores: { 'kp-cassandra': 1.5, 'kp-spark-worker': 0.5 },
      unaccounted: ['kp-gone', 'kp-kafka', 'kp-new'],
    });
    expect(() => cpuOverWindow({ atMs: 5, cpuSeconds: {} }, { atMs: 5, cpuSeconds: {} })).toThrow('must come after the first');
  });

  test('over a deploy: containers count from zero, a one-shot job keeps its last reading, the host its difference', () => {
    const samples: CpuSample[] = [
      { atMs: 0, cpuSeconds: { host: 1000 } },
      { atMs: 5_000, cpuSeconds: { host: 1008, 'kp-zookeeper': 3, 'kp-kafka-access': 1.25 } },
      { atMs: 10_000, cpuSeconds: { host: 1017, 'kp-zookeeper': 4, 'kp-kafka-access': 2.5 } },
      // The job has exited: its cgroup, and its counter, are gone.
      { atMs: 20_000, cpuSeconds: { host: 1030, 'kp-zookeeper': 6.04, 'kp-kafka': 9 } },
    ];
    const deploy = new DeployCpu(() => samples.shift()!, 2);
    for (let poll = 0; poll < 4; poll++) deploy.onPoll();
    const window = deploy.result();
    expect(window.seconds).toBe(20);
    expect(window.cpuSeconds).toEqual({ host: 30, 'kp-zookeeper': 6.04, 'kp-kafka-access': 2.5, 'kp-kafka': 9 });
    expect(window.unaccounted).toEqual([]);
    expect(samples).toEqual([]);
    expect(Object.entries(roundedCpuSeconds(window))).toEqual([['host', 30], ['kp-kafka', 9], ['kp-zookeeper', 6], ['kp-kafka-access', 2.5]]);
  });
});
