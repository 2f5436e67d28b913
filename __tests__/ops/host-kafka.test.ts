import { hostKafkaLogin, parseQuorumReplication, replayKafkaEnv } from '../../ops/host-kafka';

const OUTPUTS = {
  kafka_bootstrap_servers: '127.0.0.1:9092',
  kafka_producer_user: 'producer', kafka_producer_password: 'p-password',
  kafka_monitoring_user: 'monitoring', kafka_monitoring_password: 'm-password',
  kafka_admin_user: 'admin', kafka_admin_password: 'a-password',
};

test("a host tool's Kafka login is the user's of the outputs", () => {
  expect(hostKafkaLogin(OUTPUTS, 'producer')).toEqual({ username: 'producer', password: 'p-password' });
  expect(hostKafkaLogin(OUTPUTS, 'monitoring')).toEqual({ username: 'monitoring', password: 'm-password' });
});

test('without the outputs (a brought Kafka without a host address), it says which are missing', () => {
  expect(() => hostKafkaLogin({ kafka_bootstrap_servers: 'k:9092' }, 'admin')).toThrow('no kafka_admin_user and kafka_admin_password');
});

test('replay reads the dead-letter topic and writes the users topic: the admin', () => {
  expect(replayKafkaEnv(OUTPUTS)).toEqual({ PIPELINE_KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092', PIPELINE_KAFKA_USERNAME: 'admin', PIPELINE_KAFKA_PASSWORD: 'a-password' });
});

describe('the KRaft quorum as kafka-metadata-quorum lists it', () => {
  // As the tool prints it inside a controller's container: the service's log4j settings put its log lines around the table.
  const OUTPUT = [
    '[2026-12-01 15:40:02,118] INFO AdminClientConfig values: ',
    '\tbootstrap.controllers = [localhost:29093]',
    '[2026-12-01 15:40:02,530] INFO Kafka version: 7.9.1-ccs (org.apache.kafka.common.utils.AppInfoParser)',
    'NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t',
    '102   \tpZ3xV1cXS9WJm0M3q7uVbA\t1893        \t0  \t1764603602450     \t1764603602450        \tLeader  \t',
    '101   \tS2cQmWkYR9q0b3c8nE1tYw\t1893        \t0  \t1764603602401     \t1764603602401        \tFollower\t',
    '103   \tb6Lr1pTqQvWbX9o2mC4zKg\t1893        \t0  \t1764603602399     \t1764603602399        \tFollower\t',
    '1     \tAAAAAAAAAAAAAAAAAAAAAA\t1893        \t0  \t1764603602380     \t1764603602380        \tObserver\t',
    '[2026-12-01 15:40:02,611] INFO App info kafka.admin.client for adminclient-1 unregistered',
    '',
  ].join('\n');

  test('every node with its status, the log lines around the table left out', () => {
    expect(parseQuorumReplication(OUTPUT)).toEqual([
      { nodeId: 102, status: 'Leader' },
      { nodeId: 101, status: 'Follower' },
      { nodeId: 103, status: 'Follower' },
      { nodeId: 1, status: 'Observer' },
    ]);
  });

  test('no table is an error that shows the output', () => {
    expect(() => parseQuorumReplication('[2026-12-01] ERROR Timed out waiting for a node assignment')).toThrow(
      "no NodeId table in kafka-metadata-quorum's output:\n[2026-12-01] ERROR Timed out",
    );
  });
});
