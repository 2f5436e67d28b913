/**
 * A local stand-in for the randomuser.me API, for the end-to-end proof (randomuser.me is unreachable
 * from CI). Same JSON shape, deterministic per seed, with switches to inject what the real API may do
 * to a pipeline: records missing a required field, 5xx responses, malformed JSON.
 *
 *   GET  /api/?results=N[&seed=S][&page=P]  → {"results": [...], "info": {...}}
 *   POST /control  {"badEvery": k, "fail5xx": n, "malformed": n}  → the next n requests fail; every k-th record is bad
 *   POST /control  {"seed": "S"}  → from now on, users of seed S (a stand-in restarted under data kept from
 *                  before would otherwise serve its first users again)
 *   GET  /control  → the switches and what was served so far (users, bad records, failures)
 *   GET  /control/users  → every valid user served, as served (the oracle of an end-to-end check)
 *
 * Environment: FAKE_RANDOMUSER_PORT (default 8000), FAKE_RANDOMUSER_SEED (default 'kafka-pipelining').
 */
import * as http from 'http';

/** A seeded generator (mulberry32): the same seed gives the same users on every machine. */
export function seededRandom(seed: string): () => number {
  let state = [...seed].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 2654435761) >>> 0, 0x9e3779b9);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Frances', 'Dennis', 'Radia', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Allen', 'Ritchie', 'Perlman', 'Torvalds'];
const STREETS = ['Main Street', 'Station Road', 'Rue de la Paix', 'Hauptstraße', 'Calle Mayor', 'Via Roma'];
const PLACES: Array<[string, string, string]> = [
  ['Leeds', 'West Yorkshire', 'United Kingdom'],
  ['Lyon', 'Auvergne-Rhône-Alpes', 'France'],
  ['Bremen', 'Bremen', 'Germany'],
  ['Valencia', 'Comunidad Valenciana', 'Spain'],
  ['Turin', 'Piedmont', 'Italy'],
  ['Toronto', 'Ontario', 'Canada'],
];

/** A required field the pipeline validates, removed from a "bad" record. */
export const BREAKABLE_FIELDS = [['login', 'uuid'], ['email'], ['name', 'first'], ['location', 'postcode'], ['dob', 'date']] as const;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isoDate(random: () => number, fromYear: number, toYear: number): string {
  const start = Date.UTC(fromYear, 0, 1);
  return new Date(start + Math.floor(random() * (Date.UTC(toYear, 0, 1) - start))).toISOString();
}

/** A user in randomuser.me's shape: the fields the pipeline reads, plus a few it ignores. */
export interface GeneratedUser {
  gender: string;
  name: { title: string; first: string; last: string };
  location: {
    street: { number: number; name: string };
    city: string;
    state: string;
    country: string;
    postcode: number | string;
    coordinates: { latitude: string; longitude: string };
    timezone: { offset: string; description: string };
  };
  email: string;
  login: { uuid: string; username: string; password: string; salt: string; md5: string; sha1: string; sha256: string };
  dob: { date: string; age: number };
  registered: { date: string; age: number };
  phone: string;
  cell: string;
  id: { name: string; value: string };
  picture: { large: string; medium: string; thumbnail: string };
  nat: string;
}

/** A JSON object as the API's records are walked by path. */
interface JsonObject {
  [key: string]: unknown;
}

/** One user in randomuser.me's shape (the fields the pipeline reads, plus a few it ignores). */
export function generateUser(random: () => number): GeneratedUser {
  const first = pick(random, FIRST);
  const last = pick(random, LAST);
  const [city, state, country] = pick(random, PLACES);
  const username = `${first.toLowerCase()}${Math.floor(random() * 1000)}`;
  return {
    gender: random() < 0.5 ? 'female' : 'male',
    name: { title: 'Mx', first, last },
    location: {
      street: { number: 1 + Math.floor(random() * 999), name: pick(random, STREETS) },
      city,
      state,
      country,
      // The real API sends a number for some countries and a string for others.
      postcode: random() < 0.5 ? 10000 + Math.floor(random() * 89999) : `P${Math.floor(random() * 9999)}`,
      coordinates: { latitude: '0.0', longitude: '0.0' },
      timezone: { offset: '+0:00', description: 'UTC' },
    },
    email: `${first}.${last}@example.com`.toLowerCase(),
    login: { uuid: uuid(random), username, password: 'not-a-secret', salt: 'x', md5: 'x', sha1: 'x', sha256: 'x' },
    dob: { date: isoDate(random, 1950, 2005), age: 30 },
    registered: { date: isoDate(random, 2005, 2024), age: 5 },
    phone: `0${Math.floor(random() * 1e9)}`,
    cell: `0${Math.floor(random() * 1e9)}`,
    id: { name: 'NINO', value: 'x' },
    picture: { large: 'https://example.com/l.jpg', medium: `https://example.com/m/${username}.jpg`, thumbnail: 'https://example.com/t.jpg' },
    nat: 'GB',
  };
}

/** Removes a required field, the way a broken upstream record would lack it. Returns the field's path. */
export function breakUser(user: GeneratedUser, random: () => number): string {
  const path = pick(random, BREAKABLE_FIELDS);
  let node = user as unknown as JsonObject;
  for (const key of path.slice(0, -1)) node = node[key] as JsonObject;
  delete node[path[path.length - 1]];
  return path.join('.');
}

export interface Switches {
  /** Every k-th record served lacks a required field (0: none). */
  badEvery: number;
  /** The next n requests answer 503. */
  fail5xx: number;
  /** The next n requests answer 200 with a truncated body. */
  malformed: number;
}

export interface Served {
  requests: number;
  users: number;
  badRecords: number;
  failures5xx: number;
  malformed: number;
  /** Ids of the valid users served, in order. */
  validIds: string[];
  /** Ids (where still present) and the removed field of the bad records served. */
  bad: Array<{ id: string | null; field: string }>;
}

/** The API's state: switches and the record of what was served; pure apart from the counter it advances. */
export class FakeRandomUser {
  public readonly switches: Switches = { badEvery: 0, fail5xx: 0, malformed: 0 };
  public readonly served: Served = { requests: 0, users: 0, badRecords: 0, failures5xx: 0, malformed: 0, validIds: [], bad: [] };
  /** The valid users served, as served. */
  public readonly validUsers: GeneratedUser[] = [];
  private random: () => number;

  constructor(seed: string) {
    this.random = seededRandom(seed);
  }

  /** Continues with the users of another seed; what was served so far stays recorded. */
  public reseed(seed: string): void {
    this.random = seededRandom(seed);
  }

  /** The response to `GET /api/?results=N`: status and body text. */
  public respond(results: number): { status: number; body: string } {
    this.served.requests++;
    if (this.switches.fail5xx > 0) {
      this.switches.fail5xx--;
      this.served.failures5xx++;
      return { status: 503, body: JSON.stringify({ error: 'Uh oh, something has gone wrong. Please tweet us @randomapi' }) };
    }
    // A malformed response delivers none of its users, so they are generated but not recorded as served.
    const malformed = this.switches.malformed > 0;
    const count = Math.min(Math.max(1, Math.floor(results) || 1), 5000);
    const users = Array.from({ length: count }, () => this.nextUser(!malformed));
    const body = JSON.stringify({ results: users, info: { seed: 'fake', results: count, page: 1, version: '1.4' } });
    if (malformed) {
      this.switches.malformed--;
      this.served.malformed++;
      return { status: 200, body: body.slice(0, Math.floor(body.length / 2)) };
    }
    return { status: 200, body };
  }

  private nextUser(record: boolean): GeneratedUser {
    const user = generateUser(this.random);
    const position = this.served.users + 1;
    const bad = this.switches.badEvery > 0 && position % this.switches.badEvery === 0;
    const field = bad ? breakUser(user, this.random) : undefined;
    if (record) {
      this.served.users = position;
      if (field) {
        this.served.badRecords++;
        // A broken record may have lost its uuid (login.uuid is one of the breakable fields).
        this.served.bad.push({ id: user.login.uuid ?? null, field });
      } else {
        this.served.validIds.push(user.login.uuid);
        this.validUsers.push(user);
      }
    }
    return user;
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    request.on('data', (chunk) => (data += chunk));
    request.on('end', () => resolve(data));
    request.on('error', reject);
  });
}

/** Applies a `/control` update to the switches: the new value of each named switch, or an error naming one. */
function applySwitches(switches: Switches, update: unknown): string | undefined {
  if (typeof update !== 'object' || update === null) return 'body must be a JSON object';
  const values = update as Record<string, unknown>;
  const changes: Partial<Switches> = {};
  for (const key of Object.keys(switches) as Array<keyof Switches>) {
    const value = values[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return `${key} must be a non-negative integer`;
    changes[key] = value;
  }
  Object.assign(switches, changes);
  return undefined;
}

/** The HTTP server over a FakeRandomUser. */
export function createServer(api: FakeRandomUser): http.Server {
  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    };
    if (url.pathname === '/control' && request.method === 'POST') {
      let update: unknown;
      try {
        update = JSON.parse(await readBody(request));
      } catch {
        return send(400, JSON.stringify({ error: 'body must be JSON' }));
      }
      const seed = (update as { seed?: unknown } | null)?.seed;
      if (seed !== undefined && (typeof seed !== 'string' || seed === '')) return send(400, JSON.stringify({ error: 'seed must be a non-empty string' }));
      const error = applySwitches(api.switches, update);
      if (error) return send(400, JSON.stringify({ error }));
      if (seed !== undefined) api.reseed(seed);
      return send(200, JSON.stringify(api.switches));
    }
    if (url.pathname === '/control/users') return send(200, JSON.stringify(api.validUsers));
    if (url.pathname === '/control') return send(200, JSON.stringify({ switches: api.switches, served: api.served }));
    if (url.pathname === '/api/' || url.pathname === '/api') {
      const { status, body } = api.respond(Number(url.searchParams.get('results') ?? '1'));
      return send(status, body);
    }
    return send(404, JSON.stringify({ error: `no route ${url.pathname}` }));
  };
  return http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error) }));
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.FAKE_RANDOMUSER_PORT ?? '8000');
  const server = createServer(new FakeRandomUser(process.env.FAKE_RANDOMUSER_SEED ?? 'kafka-pipelining'));
  server.listen(port, '0.0.0.0', () => console.error(`fake randomuser.me API on :${port}`));
  // As the container's main process, Node.js would ignore the stop signal and wait to be killed.
  process.on('SIGTERM', () => process.exit(0));
}
