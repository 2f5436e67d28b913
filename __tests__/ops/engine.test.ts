import { chooseEngine, describeEngine, LOCAL_SOCKET, NoEngineError, parseExports, type EngineProbe } from '../../ops/engine';

const OWN = 'unix:///cache/kafka-pipelining/docker/docker.sock';

/** A probe where the given addresses answer; starting the project's engine is recorded. */
function fakeProbe(answering: string[]): EngineProbe & { started: number; asked: string[] } {
  const probe = {
    started: 0,
    asked: [] as string[],
    answers(host: string) {
      probe.asked.push(host);
      return answering.includes(host);
    },
    ownEngineHost: () => OWN,
    startOwnEngine() {
      probe.started++;
      return Promise.resolve();
    },
  };
  return probe;
}

describe('chooseEngine: the engine that answers, else the project one', () => {
  test('DOCKER_HOST that answers is used, and nothing else is asked', async () => {
    const probe = fakeProbe(['tcp://remote:2375', LOCAL_SOCKET]);
    const choice = await chooseEngine({ DOCKER_HOST: 'tcp://remote:2375' }, probe, { mayStart: true });
    expect(choice).toEqual({ dockerHost: 'tcp://remote:2375', origin: 'DOCKER_HOST', startedNow: false, notes: [] });
    expect(probe.asked).toEqual(['tcp://remote:2375']);
  });

  test('without DOCKER_HOST, the local socket when it answers', async () => {
    const choice = await chooseEngine({}, fakeProbe([LOCAL_SOCKET, OWN]), { mayStart: true });
    expect(choice).toMatchObject({ dockerHost: LOCAL_SOCKET, origin: 'local socket', startedNow: false });
  });

  test('the engine a previous up used comes before the local socket, so a second up finds its platform', async () => {
    const choice = await chooseEngine({}, fakeProbe([LOCAL_SOCKET, OWN]), { mayStart: true, previous: OWN });
    expect(choice).toMatchObject({ dockerHost: OWN, origin: 'project engine', startedNow: false });
  });

  test("the project's engine already running is used and not counted as started now", async () => {
    const probe = fakeProbe([OWN]);
    const choice = await chooseEngine({}, probe, { mayStart: true });
    expect(choice).toEqual({ dockerHost: OWN, origin: 'project engine', startedNow: false, notes: [`local socket ${LOCAL_SOCKET} does not answer`] });
    expect(probe.started).toBe(0);
  });

  test("nothing answers: the project's engine is started, and the notes say what was passed over", async () => {
    const probe = fakeProbe([]);
    const choice = await chooseEngine({ DOCKER_HOST: 'tcp://gone:2375' }, probe, { mayStart: true });
    expect(probe.started).toBe(1);
    expect(choice).toEqual({
      dockerHost: OWN,
      origin: 'project engine',
      startedNow: true,
      notes: ['DOCKER_HOST tcp://gone:2375 does not answer', `local socket ${LOCAL_SOCKET} does not answer`, `project engine ${OWN} does not answer`],
    });
  });

  test('a command that may not start one (status) fails naming every address it tried', async () => {
    const probe = fakeProbe([]);
    await expect(chooseEngine({}, probe, { mayStart: false, previous: 'tcp://old:2375' })).rejects.toThrow(
      new NoEngineError(['tcp://old:2375', LOCAL_SOCKET, OWN]),
    );
    expect(probe.started).toBe(0);
  });

  test('an address is asked once even when two candidates name it', async () => {
    const probe = fakeProbe([]);
    await chooseEngine({ DOCKER_HOST: OWN }, probe, { mayStart: true, previous: OWN });
    expect(probe.asked).toEqual([OWN, LOCAL_SOCKET]);
  });

  test('describeEngine says where and whether it was started', async () => {
    expect(describeEngine(await chooseEngine({}, fakeProbe([]), { mayStart: true }))).toBe(
      `engine: the project's own engine (scripts/docker-engine.sh), started now, ${OWN} (local socket ${LOCAL_SOCKET} does not answer; project engine ${OWN} does not answer)`,
    );
    expect(describeEngine(await chooseEngine({ DOCKER_HOST: 'tcp://h:1' }, fakeProbe(['tcp://h:1']), { mayStart: true }))).toBe('engine: the engine at DOCKER_HOST, tcp://h:1');
  });
});

test('parseExports reads the export lines of docker-engine.sh env and install-terraform.sh, and nothing else', () => {
  expect(parseExports("export DOCKER_HOST=unix:///a/docker.sock\nsome log line\n  export TF_CLI_CONFIG_FILE='/b/terraformrc'\nexport 1BAD=x")).toEqual({
    DOCKER_HOST: 'unix:///a/docker.sock',
    TF_CLI_CONFIG_FILE: '/b/terraformrc',
  });
});
