import { ImageSource } from '../../constructs';
import { synthPlatform } from '../helpers/synth';

describe('props are validated where they enter, naming the prop and what is allowed', () => {
  test.each([
    [{ sparkWorkers: 0 }, 'sparkWorkers must be an integer between 1 and 8, got 0'],
    [{ sparkWorkers: 9 }, 'sparkWorkers must be an integer between 1 and 8, got 9'],
    [{ sparkWorkers: 1.5 }, 'sparkWorkers must be an integer between 1 and 8, got 1.5'],
    [{ memoryMiB: { cassandra: 512 } }, 'cassandra.memoryMiB must be an integer between 1024 and 262144, got 512'],
    [{ memoryMiB: { kafka: 100 } }, 'kafka.memoryMiB must be an integer between 512 and 262144, got 100'],
    [{ memoryMiB: { airflowScheduler: 0 } }, 'airflow.schedulerMemoryMiB must be an integer between 768 and 262144, got 0'],
    [{ ports: { kafka: 70000 } }, 'ports.kafka must be an integer between 1 and 65535, got 70000'],
    [{ ports: { airflow: 0 } }, 'ports.airflow must be an integer between 1 and 65535, got 0'],
    [{ bindAddress: 'localhost' }, "bindAddress must be an IPv4 address such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces), got 'localhost'"],
    [{ bindAddress: '256.0.0.1' }, "bindAddress must be an IPv4 address such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces), got '256.0.0.1'"],
    [{ namePrefix: 'KP!' }, "namePrefix must be 1-32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got 'KP!'"],
    [{ pipeline: { batchSize: 0 } }, 'pipeline.batchSize must be an integer between 1 and 5000, got 0'],
    [{ pipeline: { retryDelaySeconds: 0 } }, 'pipeline.retryDelaySeconds must be an integer between 1 and 3600, got 0'],
    [{ pipeline: { cassandraConcurrentWrites: 0 } }, 'pipeline.cassandraConcurrentWrites must be an integer between 1 and 1024, got 0'],
    [{ pipeline: { topic: 'users topic' } }, "pipeline.topic must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-', got 'users topic'"],
    [{ pipeline: { keyspace: 'Spark-Streams' } }, "pipeline.keyspace must be a lower-case CQL identifier (a-z, 0-9, '_', at most 48 characters, starting with a letter), got 'Spark-Streams'"],
    [{ pipeline: { sourceUrl: 'ftp://example.org' } }, "pipeline.sourceUrl must be an http(s) URL, got 'ftp://example.org'"],
  ])('%j is refused', (props, message) => {
    expect(() => synthPlatform(props as any)).toThrow(message);
  });

  test('two services on one host port fail synthesis, naming both', () => {
    expect(() => synthPlatform({ ports: { airflow: 9092 } })).toThrow(
      /ports\.airflow and ports\.kafka both publish host port 9092: give one of them another port/,
    );
  });

  test('a mirror prefix must look like a registry host', () => {
    expect(() => ImageSource.mirror('')).toThrow("ImageSource.mirror: prefix must look like 'host[:port][/path]', got ''");
    expect(() => ImageSource.mirror('http://mirror')).toThrow(/prefix must look like/);
  });
});

describe('image sources', () => {
  test('a mirror serves the same pinned references under its prefix', () => {
    const mirrored = synthPlatform({ imageSource: ImageSource.mirror('registry.internal:5000/') });
    const pulled = Object.values(mirrored.resourcesOfType('docker_image')).filter((i: any) => !i.build);
    for (const image of pulled) expect(image.name).toMatch(/^registry\.internal:5000\/[a-z]/);
    expect(pulled.map((i: any) => i.name)).toContain('registry.internal:5000/confluentinc/cp-kafka:7.9.1');
  });

  test('images built on the host keep the pinned tags under the local namespace', () => {
    const local = synthPlatform({ imageSource: ImageSource.builtOnHost() });
    const names = Object.values(local.resourcesOfType('docker_image')).filter((i: any) => !i.build).map((i: any) => i.name);
    expect(names).toEqual(expect.arrayContaining(['kafka-pipelining/cp-kafka:7.9.1', 'kafka-pipelining/cassandra:5.0.4', 'kafka-pipelining/airflow:3.0.6-python3.11']));
    for (const name of names) expect(name).toMatch(/^kafka-pipelining\/[a-z-]+:[0-9]/);
    // Host-built Airflow and Spark images already carry the DAG's packages and the connectors: nothing is built in the plan.
    expect(Object.values(local.resourcesOfType('docker_image')).filter((i: any) => i.build)).toEqual([]);
    expect(local.container('kp-spark-job').image).toBe(local.container('kp-spark-master').image);
  });
});
