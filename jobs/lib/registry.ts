/**
 * The Schema Registry's REST API (Confluent's; the host-built image serves it from Apicurio), as the jobs use it:
 * a subject's versions and compatibility, registration, and schemas by the id a message is framed with.
 */

/** An error response; `status` lets the retry tell a registry still starting (5xx) from a refusal. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RegisteredSchema {
  readonly id: number;
  readonly version: number;
  /** The schema's JSON text as the registry holds it. */
  readonly schema: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

/**
 * The registry's URL with an HTTP basic login in it (`http://user:password@host:port`), the form every function here
 * takes: the login becomes an Authorization header, and no message names the URL.
 */
export function withLogin(url: string, username: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(username);
  parsed.password = encodeURIComponent(password);
  return parsed.toString().replace(/\/+$/, '');
}

/** The JSON answer of one request; an error status throws HttpError with the registry's message. */
export async function registryRequest(baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  // fetch refuses a URL that carries a login: it travels as a header instead.
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
  const headers: Record<string, string> = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };
  if (url.username !== '') {
    const login = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(login).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new HttpError(`Schema Registry ${method} ${path}: HTTP ${response.status} ${text}`, response.status);
  return JSON.parse(text);
}

const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;

function registered(answer: unknown, what: string): RegisteredSchema {
  if (isObject(answer) && typeof answer.id === 'number' && typeof answer.version === 'number' && typeof answer.schema === 'string') {
    return { id: answer.id, version: answer.version, schema: answer.schema };
  }
  throw new Error(`Schema Registry gave no schema for ${what}: ${JSON.stringify(answer)}`);
}

/** The latest version registered under `subject`. */
export async function latestSchema(baseUrl: string, subject: string): Promise<RegisteredSchema> {
  return registered(await registryRequest(baseUrl, 'GET', `${subjectPath(subject)}/versions/latest`), `subject '${subject}'`);
}

/** Every version registered under `subject`, oldest first; none when the subject does not exist yet. */
export async function subjectVersions(baseUrl: string, subject: string): Promise<RegisteredSchema[]> {
  let versions: unknown;
  try {
    versions = await registryRequest(baseUrl, 'GET', `${subjectPath(subject)}/versions`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return [];
    throw error;
  }
  if (!Array.isArray(versions)) throw new Error(`Schema Registry listed no versions for '${subject}': ${JSON.stringify(versions)}`);
  const all: RegisteredSchema[] = [];
  for (const version of versions) {
    all.push(registered(await registryRequest(baseUrl, 'GET', `${subjectPath(subject)}/versions/${Number(version)}`), `'${subject}' version ${Number(version)}`));
  }
  return all;
}

/** The schema text registered with `id`; undefined when the registry knows no such id. */
export async function schemaById(baseUrl: string, id: number): Promise<string | undefined> {
  let answer: unknown;
  try {
    answer = await registryRequest(baseUrl, 'GET', `/schemas/ids/${id}`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return undefined;
    throw error;
  }
  if (isObject(answer) && typeof answer.schema === 'string') return answer.schema;
  throw new Error(`Schema Registry gave no schema for id ${id}: ${JSON.stringify(answer)}`);
}

export async function setCompatibility(baseUrl: string, subject: string, level: string): Promise<void> {
  await registryRequest(baseUrl, 'PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level });
}

/**
 * Whether the registry would accept `schema` under `subject`, by the subject's compatibility level against every
 * registered version (the transitive levels need all of them; `versions/latest` checks one). True for a new subject.
 */
export async function isCompatible(baseUrl: string, subject: string, schema: string): Promise<boolean> {
  let answer: unknown;
  try {
    answer = await registryRequest(baseUrl, 'POST', `/compatibility${subjectPath(subject)}/versions?verbose=true`, { schema, schemaType: 'AVRO' });
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return true;
    throw error;
  }
  if (isObject(answer) && typeof answer.is_compatible === 'boolean') return answer.is_compatible;
  throw new Error(`Schema Registry gave no compatibility verdict for '${subject}': ${JSON.stringify(answer)}`);
}

/** Registers `schema` under `subject` (or finds it registered) and returns its id. */
export async function register(baseUrl: string, subject: string, schema: string): Promise<number> {
  const answer = await registryRequest(baseUrl, 'POST', `${subjectPath(subject)}/versions`, { schema, schemaType: 'AVRO' });
  if (isObject(answer) && typeof answer.id === 'number') return answer.id;
  throw new Error(`Schema Registry returned no schema id: ${JSON.stringify(answer)}`);
}
