/**
 * `npm run status` against the shared deployment, after the pipeline test delivered its users: the command a
 * user runs to see the platform, run as the README gives it, its figures checked against what the stores and
 * topics hold when read by the test itself.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { docker, LOG_DIRECTORY as ARTIFACTS, PREFIX, ROOT } from '../../ops/deployment';
import type { StatusReport } from '../../ops/status-report';
import { PipelineDriver } from './pipeline-driver';

const USERS_TOPIC = 'users_created';
const DLQ_TOPIC = `${USERS_TOPIC}.dlq`;

/** Runs `npm run --silent status -- ARGS` (--silent: npm's own banner off stdout) and resolves to its exit code and output. */
function npmStatus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'status', '--', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The status test, on the shared deployment whose outputs `outputs()` gives once it is up. */
export function statusCommandTest(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  test('npm run status -- --json exits 0: every service healthy, the users in PostgreSQL and Cassandra, no lag, the dead letters counted', async () => {
    const driver = new PipelineDriver(outputs());
    const started = Date.now();
    const json = await npmStatus(['--json']);
    figures.statusSeconds = (Date.now() - started) / 1000;
    fs.writeFileSync(path.join(ARTIFACTS, 'status.json'), json.stdout);
    expect({ code: json.code, stderr: json.code === 0 ? '' : json.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);

    // Every container of the stack, as the engine lists it, healthy or (one-shots) finished with 0.
    const onEngine = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}').split('\n').filter(Boolean).sort();
    expect(report.services.map((s) => s.name).sort()).toEqual(onEngine);
    for (const service of report.services) {
      expect({ name: service.name, health: service.health }).toEqual({ name: service.name, health: service.oneShot ? 'done' : 'healthy' });
      if (!service.oneShot) expect({ name: service.name, memoryWithinLimit: service.memoryBytes! > 0 && service.memoryBytes! <= service.memoryLimitBytes! }).toEqual({ name: service.name, memoryWithinLimit: true });
    }

    // The figures are those the stores and topics hold, read here independently of the status command.
    const pipeline = report.pipeline;
    const stored = await driver.withPostgres(async (pg) => Number((await pg.query('SELECT count(*) AS n FROM users')).rows[0].n));
    const inCassandra = (await driver.cassandraIds()).length;
    expect(pipeline.usersInPostgres).toBeGreaterThan(0);
    expect(pipeline.cassandraRows).toBeGreaterThan(0);
    expect({ postgres: pipeline.usersInPostgres, cassandra: pipeline.cassandraRows, outbox: pipeline.outbox?.waiting }).toEqual({ postgres: stored, cassandra: inCassandra, outbox: 0 });
    // The pipeline test waited for every user: the Spark job's last committed batch ends where the topic ends.
    expect(pipeline.lag?.topic).toBe(USERS_TOPIC);
    expect(pipeline.lag?.records).toBe(0);
    expect(pipeline.lag!.partitions.reduce((sum, p) => sum + p.end, 0)).toBe((await driver.readTopic(USERS_TOPIC)).length);
    const deadLetters = await driver.readTopic(DLQ_TOPIC);
    expect(pipeline.deadLetters?.total).toBe(deadLetters.length);
    expect(pipeline.deadLetters!.byReason.reduce((sum, r) => sum + r.count, 0)).toBe(deadLetters.length);
    figures.status = { services: report.services.length, usersInPostgres: pipeline.usersInPostgres, cassandraRows: pipeline.cassandraRows, deadLetters: pipeline.deadLetters?.byReason };

    // The table a person reads, kept beside the other artifacts.
    const table = await npmStatus([]);
    fs.writeFileSync(path.join(ARTIFACTS, 'status.txt'), table.stdout);
    expect({ code: table.code, last: table.stdout.trimEnd().split('\n').pop() }).toEqual({ code: 0, last: 'status: ok' });
  }, 5 * 60 * 1000);
}
