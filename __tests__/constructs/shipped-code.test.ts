import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { DeploymentTarget, PlatformNetwork, ShippedFiles, SparkCluster, SparkStreamingJob } from '../../constructs';
import { bundleNodeJob } from '../../constructs/node-job';
import type { PlanJson, PlanResource } from '../helpers/synth';

const SPARK_JOB_SOURCE = path.join(__dirname, '..', '..', 'jobs', 'spark');

function tempCopyOf(directory: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-job-'));
  fs.cpSync(directory, copy, { recursive: true });
  return copy;
}

/** A stack with only the Spark cluster and the streaming job, its code read from `jobDirectory`. */
function synthSparkJob(jobDirectory: string): PlanJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'spark');
  new DockerProvider(stack, 'Docker', {});
  // The cluster's shared secret is a random_password.
  new RandomProvider(stack, 'Random');
  const network = new PlatformNetwork(stack, 'Network', { name: 'test-net' });
  const cluster = new SparkCluster(stack, 'Spark', { network });
  new SparkStreamingJob(stack, 'Job', { network, cluster, cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: { PIPELINE_TOPIC: 'users' }, jobDirectory });
  return JSON.parse(Testing.synth(stack, true)) as PlanJson;
}

const containersOf = (plan: PlanJson): PlanResource[] => Object.values(plan.resource.docker_container);
const driverOf = (plan: PlanJson): PlanResource => {
  const driver = containersOf(plan).find((c) => c.name === 'spark-job');
  if (!driver) throw new Error('no spark-job container in the plan');
  return driver;
};

describe('job code travels with the plan', () => {
  test('editing a job file changes the plan of exactly the container that runs it', () => {
    // GIVEN a copy of the Spark job
    const directory = tempCopyOf(SPARK_JOB_SOURCE);
    const before = synthSparkJob(directory);
    // WHEN one of its modules changes
    fs.appendFileSync(path.join(directory, 'users_transform.py'), '\n# a change\n');
    const after = synthSparkJob(directory);
    // THEN that file's upload hash changes (the provider replaces the container), and nothing else does
    const hash = (plan: PlanJson, file: string): unknown => driverOf(plan).upload.find((u: PlanResource) => u.file.endsWith(file)).source_hash;
    expect(hash(after, 'users_transform.py')).not.toEqual(hash(before, 'users_transform.py'));
    expect(hash(after, 'stream_users.py')).toEqual(hash(before, 'stream_users.py'));
    const workers = (plan: PlanJson) => containersOf(plan).filter((c) => c.name !== 'spark-job');
    expect(workers(after)).toEqual(workers(before));
  });

  test('the job is submitted with its modules on the Python path of driver and executors', () => {
    const command: string[] = driverOf(synthSparkJob(SPARK_JOB_SOURCE)).command;
    expect(command[command.length - 1]).toBe('/opt/kafka-pipelining/jobs/spark/stream_users.py');
    const pyFiles = command[command.indexOf('--py-files') + 1].split(',');
    expect(pyFiles).toEqual(expect.arrayContaining(['/opt/kafka-pipelining/jobs/spark/users_transform.py']));
    expect(pyFiles).not.toContain('/opt/kafka-pipelining/jobs/spark/stream_users.py');
  });

  test('a TypeScript job bundles to the same bytes every time, and to other bytes when it changes', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-node-job-'));
    const entry = path.join(directory, 'hello.ts');
    fs.writeFileSync(entry, "console.log('hello');\n");
    const scope = new TerraformStack(Testing.app(), 'bundles');
    const first = fs.readFileSync(bundleNodeJob(scope, entry), 'utf8');
    expect(fs.readFileSync(bundleNodeJob(scope, entry), 'utf8')).toEqual(first);
    fs.writeFileSync(entry, "console.log('hello, world');\n");
    expect(fs.readFileSync(bundleNodeJob(scope, entry), 'utf8')).not.toEqual(first);
  });

  test('a TypeScript job is minified, its names kept, where the target limits a shipped file: a swarm config holds under 1,000 KiB', () => {
    const onSwarm = new TerraformStack(Testing.app(), 'swarm');
    DeploymentTarget.use(onSwarm, DeploymentTarget.swarm({ hosts: ['host-1'] }));
    const bootstrap = path.join(__dirname, '..', '..', 'jobs', 'bootstrap.ts');
    const full = fs.statSync(bundleNodeJob(new TerraformStack(Testing.app(), 'host'), bootstrap)).size;
    const minified = fs.readFileSync(bundleNodeJob(onSwarm, bootstrap), 'utf8');
    expect(full).toBeGreaterThan(1_024_000);
    expect(Buffer.byteLength(minified)).toBeLessThan(1_024_000);
    // Names kept: an error's stack still says which function failed.
    expect(minified).toContain('"name",{value:');
  });

  test('bad files are refused with the path at fault', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'files');
    expect(() => new ShippedFiles(stack, 'Missing', { files: [{ source: '/nonexistent/job.py', target: '/opt/job.py' }] })).toThrow(
      "ShippedFiles: source file '/nonexistent/job.py' does not exist",
    );
    expect(() => new ShippedFiles(stack, 'Relative', { files: [{ source: __filename, target: 'job.py' }] })).toThrow(
      "ShippedFiles: target must be an absolute path inside the container, got 'job.py'",
    );
    expect(() => ShippedFiles.fromDirectory('/nonexistent', '/opt')).toThrow("ShippedFiles: '/nonexistent' is not a directory");
    expect(() => bundleNodeJob(stack, '/nonexistent/job.ts')).toThrow("NodeJob: entryPoint '/nonexistent/job.ts' does not exist");
  });

  test('a streaming job that asks for more executor memory than a worker offers is refused', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'spark');
    const network = new PlatformNetwork(stack, 'Network', { name: 'n' });
    const cluster = new SparkCluster(stack, 'Spark', { network });
    expect(() => new SparkStreamingJob(stack, 'Job', { network, cluster, cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {}, executorMemoryMiB: 4096 })).toThrow(
      'executorMemoryMiB must be an integer between 256 and 1536, got 4096',
    );
  });
});
