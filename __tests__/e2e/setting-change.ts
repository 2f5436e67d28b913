/**
 * Settings changed on the running stack with `cdktf deploy` (docs/pipeline.md, "Changing settings on a running
 * stack"): a lowered topicPartitions is refused by the bootstrap before anything changes, and the running
 * pipeline is not touched; the Spark trigger changed while users stream replaces the Spark driver alone, pauses
 * the stream for a measured time, and ends with exactly the valid users in Cassandra and verify agreeing.
 *
 * It runs after the schema-evolution proof, on whatever schema the stack was last deployed with: each deploy here
 * inherits the suite's KP_PIPELINE_SCHEMA_FILE (set by that proof), so the setting is the only change, and no
 * field list is assumed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hostKafka } from '../../ops/host-kafka';
import { userFields } from '../../jobs/bootstrap';
import { containerLog, deployErrorText, docker, PREFIX, ROOT, runLogged } from '../../ops/deployment';
import { PipelineDriver } from './pipeline-driver';

// Enough users that the stream is still delivering them when the deploy replaces the driver: the e2e deployment
// writes at most 200 records per 5 s trigger, so 5,000 take about two minutes, a deploy well under one.
const ROUND_USERS = 5000;
const NEW_TRIGGER_SECONDS = '2';

/** Container name → id, for every container of the stack, running or exited. */
function containerIds(): Map<string, string> {
  const rows = docker('ps', '-a', '--no-trunc', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}} {{.ID}}').split('\n').filter(Boolean);
  return new Map(rows.map((row) => row.split(' ') as [string, string]));
}

/** The containers whose id changed (replaced), appeared or disappeared between two snapshots. */
function replacedBetween(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name)).sort();
}

/** The required fields of the schema file the stack was last deployed with (the suite's, else the repository's). */
function deployedRequiredFields(): string[] {
  const file = process.env.KP_PIPELINE_SCHEMA_FILE ?? path.join(ROOT, 'jobs', 'schemas', 'user.avsc');
  return userFields(JSON.parse(fs.readFileSync(file, 'utf8'))).filter((f) => f.required).map((f) => f.name);
}

export function settingChangeTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  const settingFigures: Record<string, unknown> = {};
  figures.settingChanges = settingFigures;

  describe('settings changed on the running stack by cdktf deploy', () => {
    let driver: PipelineDriver;
    /** `cdktf deploy` with the suite's environment and `changes` on top. */
    const deploy = (logName: string, changes: Record<string, string>): Promise<number> =>
      runLogged(logName, 'npx', ['cdktf', 'deploy', '--auto-approve'], changes);

    beforeAll(() => {
      driver = new PipelineDriver(outputs());
    });

    test('topicPartitions lowered: the bootstrap refuses, naming the prop and the current count, and nothing else changes', async () => {
      const before = containerIds();
      const refusal = "topic 'users_created' has 3, 'users_created.dlq' has 3 partitions, more than PIPELINE_TOPIC_PARTITIONS=2 (pipeline.topicPartitions)";
      const failure = await deploy('deploy-partitions-lowered', { KP_PIPELINE_TOPIC_PARTITIONS: '2' }).then(() => undefined, (error: unknown) => error as Error);
      expect(failure).toBeDefined();
      // cdktf's error ends with the bootstrap's last lines, the refusal among them.
      expect(deployErrorText(failure)).toContain(`${PREFIX}-bootstrap exited non-zero`);
      expect(deployErrorText(failure)).toContain(refusal);
      expect(containerLog(`${PREFIX}-bootstrap`)).toContain(refusal);
      expect(replacedBetween(before, containerIds())).toEqual([`${PREFIX}-bootstrap`]);
      const kafka = hostKafka(outputs(), 'monitoring');
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: ['users_created', 'users_created.dlq'] });
        // The broker lists the topics in any order.
        expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([['users_created', 3], ['users_created.dlq', 3]]);
      } finally {
        await admin.disconnect();
      }
      // Back to the deployed setting: the bootstrap runs again and passes; still nothing else is replaced.
      await deploy('deploy-partitions-restored', {});
      expect(docker('inspect', '-f', '{{.State.ExitCode}}', `${PREFIX}-bootstrap`)).toBe('0');
      expect(replacedBetween(before, containerIds())).toEqual([`${PREFIX}-bootstrap`]);
    }, 20 * 60 * 1000);

    test('the Spark trigger changed while users stream: only the driver is replaced, then exactly the valid users, verify agreeing', async () => {
      const before = containerIds();
      const round = await driver.startRound(ROUND_USERS);
      await driver.partwayThrough(round);
      const deploySeconds = (await deploy('deploy-trigger-seconds', { KP_PIPELINE_TRIGGER_SECONDS: NEW_TRIGGER_SECONDS })) / 1000;
      const replaced = replacedBetween(before, containerIds());
      expect(replaced).toEqual([`${PREFIX}-spark-job`]);
      expect(docker('inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', `${PREFIX}-spark-job`)).toContain(
        `PIPELINE_TRIGGER_SECONDS=${NEW_TRIGGER_SECONDS}\n`,
      );
      const delivered = await driver.expectDelivered(round, 'spark trigger changed');

      // The pause, from Cassandra's own write times: the last row the old driver wrote, the first the new one did.
      // A column every row has a value in: a required field of the deployed schema, other than the key.
      const newDriverStarted = Date.parse(docker('inspect', '-f', '{{.State.StartedAt}}', `${PREFIX}-spark-job`));
      const ids = new Set(round.newValidIds);
      const column = deployedRequiredFields().find((name) => name !== 'id');
      const written = await driver.withCassandra(async (cassandra) => {
        const result = await cassandra.execute(`SELECT id, WRITETIME(${column}) AS w FROM spark_streams.created_users`, [], { fetchSize: 100_000 });
        return result.rows.filter((row) => ids.has(String(row.get('id')))).map((row) => Number(String(row.get('w'))) / 1000); // microseconds, as a driver Long
      });
      const byOld = written.filter((at) => at < newDriverStarted);
      const byNew = written.filter((at) => at >= newDriverStarted);
      // The change landed mid-stream: both drivers wrote some of the round's users.
      expect({ byOld: byOld.length > 0, byNew: byNew.length > 0 }).toEqual({ byOld: true, byNew: true });
      settingFigures.sparkTrigger = {
        change: `KP_PIPELINE_TRIGGER_SECONDS 5 -> ${NEW_TRIGGER_SECONDS}`,
        replaced,
        users: round.newValidIds.length,
        writtenByOldDriver: byOld.length,
        writtenByNewDriver: byNew.length,
        deploySeconds,
        pauseSeconds: (Math.min(...byNew) - Math.max(...byOld)) / 1000,
        deliveredSeconds: delivered.seconds,
      };
    }, 30 * 60 * 1000);
  });
}
