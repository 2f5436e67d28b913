import { hostKafkaLogin, replayKafkaEnv } from '../../ops/host-kafka';

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
