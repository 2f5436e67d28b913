import { AddressInfo } from 'net';
import { BREAKABLE_FIELDS, createServer, FakeRandomUser, generateUser, seededRandom, type GeneratedUser, type Served } from '../../jobs/fake-randomuser';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('fake randomuser.me API', () => {
  test('the same seed gives the same users; another seed other users', () => {
    const a = new FakeRandomUser('s1').respond(5).body;
    expect(new FakeRandomUser('s1').respond(5).body).toEqual(a);
    expect(new FakeRandomUser('s2').respond(5).body).not.toEqual(a);
  });

  test('reseeding continues with the users of the new seed and keeps the record of what was served', () => {
    const api = new FakeRandomUser('s1');
    const first = JSON.parse(api.respond(3).body) as { results: GeneratedUser[] };
    api.reseed('s2');
    const next = JSON.parse(api.respond(3).body) as { results: GeneratedUser[] };
    expect(next.results).toEqual((JSON.parse(new FakeRandomUser('s2').respond(3).body) as { results: GeneratedUser[] }).results);
    expect(api.served.validIds).toEqual([...first.results, ...next.results].map((u) => u.login.uuid));
  });

  test("users have the API's shape, with a v4 uuid and a postcode that is a number or a string", () => {
    const random = seededRandom('shape');
    const users = Array.from({ length: 50 }, () => generateUser(random));
    for (const u of users) {
      expect(u.login.uuid).toMatch(UUID);
      expect(typeof u.name.first).toBe('string');
      expect(typeof u.location.street.number).toBe('number');
      expect(new Date(u.dob.date).toISOString()).toBe(u.dob.date);
    }
    expect(new Set(users.map((u) => typeof u.location.postcode))).toEqual(new Set(['number', 'string']));
    expect(new Set(users.map((u) => u.login.uuid)).size).toBe(50);
  });

  test('badEvery k breaks every k-th record and records which field it removed', () => {
    const api = new FakeRandomUser('bad');
    api.switches.badEvery = 4;
    const { results } = JSON.parse(api.respond(20).body);
    expect(results).toHaveLength(20);
    expect(api.served.badRecords).toBe(5);
    expect(api.served.validIds).toHaveLength(15);
    const paths = BREAKABLE_FIELDS.map((p) => p.join('.'));
    for (const bad of api.served.bad) expect(paths).toContain(bad.field);
    const fourth = results[3];
    const removed = api.served.bad[0].field.split('.');
    const lookup = (node: unknown, key: string): unknown => (node as Record<string, unknown> | undefined)?.[key];
    expect(removed.reduce(lookup, fourth)).toBeUndefined();
  });

  test('fail5xx answers 503 that many times, then recovers; malformed serves a truncated body and no users', () => {
    const api = new FakeRandomUser('faults');
    api.switches.fail5xx = 2;
    api.switches.malformed = 1;
    expect(api.respond(3).status).toBe(503);
    expect(api.respond(3).status).toBe(503);
    const broken = api.respond(3);
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.body)).toThrow();
    expect(api.served.users).toBe(0);
    const ok = api.respond(3);
    expect(JSON.parse(ok.body).results).toHaveLength(3);
    expect(api.served).toEqual(expect.objectContaining({ requests: 4, users: 3, failures5xx: 2, malformed: 1 }));
  });

  test('the HTTP server serves /api/ and takes switches on /control, refusing bad ones', async () => {
    const server = createServer(new FakeRandomUser('http'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = (await (await fetch(`${base}/api/?results=7`)).json()) as { results: GeneratedUser[] };
      expect(page.results).toHaveLength(7);
      const refused = await fetch(`${base}/control`, { method: 'POST', body: JSON.stringify({ fail5xx: -1 }) });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({ error: 'fail5xx must be a non-negative integer' });
      await fetch(`${base}/control`, { method: 'POST', body: JSON.stringify({ fail5xx: 1 }) });
      expect((await fetch(`${base}/api/?results=1`)).status).toBe(503);
      const state = (await (await fetch(`${base}/control`)).json()) as { served: Served };
      expect(state.served).toEqual(expect.objectContaining({ requests: 2, users: 7, failures5xx: 1 }));
      const users = (await (await fetch(`${base}/control/users`)).json()) as GeneratedUser[];
      expect(users.map((u) => u.login.uuid)).toEqual(page.results.map((u) => u.login.uuid));
      const badSeed = await fetch(`${base}/control`, { method: 'POST', body: JSON.stringify({ seed: '' }) });
      expect(await badSeed.json()).toEqual({ error: 'seed must be a non-empty string' });
      expect((await fetch(`${base}/control`, { method: 'POST', body: JSON.stringify({ seed: 'other' }) })).status).toBe(200);
      const reseeded = (await (await fetch(`${base}/api/?results=2`)).json()) as { results: GeneratedUser[] };
      expect(reseeded.results).toEqual((JSON.parse(new FakeRandomUser('other').respond(2).body) as { results: GeneratedUser[] }).results);
    } finally {
      server.close();
    }
  });
});
