import { chooseDeploySettings, PUBLIC_REGISTRY_URL, USERS_API_URL, type Reachability } from '../../ops/deploy-choices';

/** Addresses that answer; the others fail with ENOTFOUND. Every probe is recorded. */
function reach(answering: string[]): Reachability & { asked: string[] } {
  const asked: string[] = [];
  const probe = (url: string) => {
    asked.push(url);
    return Promise.resolve(answering.includes(url) ? undefined : 'ENOTFOUND');
  };
  return Object.assign(probe, { asked });
}

describe('chooseDeploySettings: given, else kept from the last up, else probed', () => {
  test('an air-gapped host: images built on the host, Control Center off, the local stand-in API, each saying why', async () => {
    const choices = await chooseDeploySettings({}, reach([]));
    expect(choices.settings).toEqual({ KP_IMAGE_SOURCE: 'host', KP_CONTROL_CENTER: 'false', KP_LOCAL_SOURCE_API: 'true' });
    expect(choices.hostImages).toBe(true);
    expect(choices.lines).toEqual([
      `images: built on the Docker host from Debian, Maven Central, PyPI and npm, since ${PUBLIC_REGISTRY_URL} does not answer (ENOTFOUND)`,
      'Control Center: off, since it is licensed software with no build on the host',
      'users API: the local stand-in for randomuser.me (fake-randomuser), since randomuser.me does not answer (ENOTFOUND)',
    ]);
  });

  test('a connected host: the pinned public images, Control Center on, randomuser.me (main.ts defaults, nothing set)', async () => {
    const choices = await chooseDeploySettings({}, reach([PUBLIC_REGISTRY_URL, USERS_API_URL]));
    expect(choices.settings).toEqual({ KP_IMAGE_SOURCE: 'public' });
    expect(choices.hostImages).toBe(false);
    expect(choices.lines[1]).toBe('Control Center: on (KP_CONTROL_CENTER=false leaves it out)');
  });

  test('settings given in the environment win and nothing is probed (the end-to-end route)', async () => {
    const probe = reach([]);
    const env = { KP_IMAGE_SOURCE: 'host', KP_CONTROL_CENTER: 'false', KP_LOCAL_SOURCE_API: 'true' };
    const choices = await chooseDeploySettings(env, probe, { KP_IMAGE_SOURCE: 'public' });
    expect(probe.asked).toEqual([]);
    expect(choices.settings).toEqual(env);
    expect(choices.lines).toEqual([
      'images: built on the Docker host (KP_IMAGE_SOURCE=host, given)',
      'Control Center: off (KP_CONTROL_CENTER=false, given)',
      'users API: the local stand-in for randomuser.me (KP_LOCAL_SOURCE_API=true, given)',
    ]);
  });

  test('a second up keeps what the first one chose, even when a probe would now decide otherwise', async () => {
    const probe = reach([PUBLIC_REGISTRY_URL, USERS_API_URL]);
    const kept = { KP_IMAGE_SOURCE: 'host', KP_CONTROL_CENTER: 'false', KP_LOCAL_SOURCE_API: 'true' };
    const choices = await chooseDeploySettings({}, probe, kept);
    expect(probe.asked).toEqual([]);
    expect(choices.settings).toEqual(kept);
    expect(choices.lines[0]).toBe('images: built on the Docker host (KP_IMAGE_SOURCE=host, kept from the last `npm run up`)');
  });

  test('a mirror or a source URL given means no probe for that choice', async () => {
    const probe = reach([]);
    const choices = await chooseDeploySettings({ KP_IMAGE_MIRROR: 'registry.internal:5000', KP_PIPELINE_SOURCE_URL: 'http://users.internal/api/' }, probe);
    expect(probe.asked).toEqual([]);
    expect(choices.settings).toEqual({});
    expect(choices.hostImages).toBe(false);
    expect(choices.lines).toEqual([
      'images: the pinned images from the mirror registry.internal:5000 (KP_IMAGE_MIRROR, given)',
      'Control Center: on (KP_CONTROL_CENTER=false leaves it out)',
      'users API: http://users.internal/api/ (KP_PIPELINE_SOURCE_URL, given)',
    ]);
  });

  test('Control Center asked for with host images is refused, naming both ways out', async () => {
    await expect(chooseDeploySettings({ KP_CONTROL_CENTER: 'true' }, reach([]))).rejects.toThrow(
      'Control Center needs the public images (KP_CONTROL_CENTER=true, given): it is licensed software with no build on the host; set KP_CONTROL_CENTER=false or KP_IMAGE_SOURCE=public',
    );
  });

  test('an unknown image source is refused as main.ts refuses it', async () => {
    await expect(chooseDeploySettings({ KP_IMAGE_SOURCE: 'mirror' }, reach([]))).rejects.toThrow("KP_IMAGE_SOURCE must be 'public' or 'host', got 'mirror'");
  });
});
