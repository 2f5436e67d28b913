import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Schema } from 'avsc';
import { checkSchema } from '../../jobs/bootstrap';
import type { RegisteredSchema } from '../../jobs/lib/registry';
import { COMPATIBILITY, compatibilityProblems, readProblems } from '../../jobs/lib/schema-compatibility';

const V1 = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8')) as { fields: Record<string, unknown>[] };
const withFields = (...fields: Record<string, unknown>[]) => ({ ...V1, fields: [...V1.fields, ...fields] }) as Schema;
const NATIONALITY = { name: 'nationality', type: 'string', default: '', sourcePath: 'nat' };
const V2 = withFields(NATIONALITY);
const registered = (version: number, id: number, schema: Schema): RegisteredSchema => ({ version, id, schema: JSON.stringify(schema) });

describe('readProblems: what a new schema cannot read of an older one, by field', () => {
  it('finds nothing for a field added with a default, a field dropped, or the same schema', () => {
    expect(readProblems(V2, V1 as Schema)).toEqual([]);
    expect(readProblems(V1 as Schema, V2)).toEqual([]);
    expect(readProblems(V2, V2)).toEqual([]);
  });

  it('names a field added without a default', () => {
    expect(readProblems(withFields({ name: 'cell', type: 'string', sourcePath: 'cell' }), V1 as Schema)).toEqual(["field 'cell' is new and has no default"]);
  });

  it('names a field whose type changes to one Avro cannot promote', () => {
    const phoneAsInt = { ...V1, fields: V1.fields.map((f) => (f.name === 'phone' ? { ...f, type: 'int' } : f)) } as Schema;
    expect(readProblems(phoneAsInt, V1 as Schema)).toEqual(['field \'phone\' changes type from "string" to "int"']);
  });

  it('says what Avro refuses beyond fields, such as a renamed record', () => {
    const [problem] = readProblems({ ...V1, name: 'Customer' } as Schema, V1 as Schema);
    expect(problem).toMatch(/Customer|User/);
  });

  it('checks every registered version (transitive): a field with no default fails against the versions without it', () => {
    const v3 = withFields({ name: 'nationality', type: 'string' });
    expect(compatibilityProblems(v3, [registered(1, 1, V1 as Schema), registered(2, 4, V2)])).toEqual([
      "field 'nationality' is new and has no default, so records written with version 1 (id 1) cannot be read",
    ]);
  });
});

describe('checkSchema against a registry', () => {
  interface Call {
    method: string;
    url: string;
    body: string;
  }
  let server: http.Server;
  let url: string;
  let calls: Call[];
  let compatible: boolean | 'no subject';

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls.push({ method: request.method ?? '', url: request.url ?? '', body });
        const answers: Record<string, unknown> = {
          '/subjects/users_created-value/versions': [1, 2],
          '/subjects/users_created-value/versions/1': registered(1, 1, V1 as Schema),
          '/subjects/users_created-value/versions/2': registered(2, 4, V2),
        };
        let [status, answer] = [404, { error_code: 40401 }] as [number, unknown];
        if (request.method === 'PUT') [status, answer] = [200, JSON.parse(body)];
        else if (request.url?.startsWith('/compatibility/') && compatible !== 'no subject') [status, answer] = [200, { is_compatible: compatible }];
        else if (request.url !== undefined && request.url in answers) [status, answer] = [200, answers[request.url]];
        response.writeHead(status).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    calls = [];
  });

  it(`sets ${COMPATIBILITY} on the subject, then asks about every version`, async () => {
    compatible = true;
    await checkSchema(url, 'users_created-value', V2);
    expect(calls.map(({ method, url: u }) => `${method} ${u}`)).toEqual([
      'PUT /config/users_created-value',
      'POST /compatibility/subjects/users_created-value/versions?verbose=true',
    ]);
    expect(JSON.parse(calls[0].body)).toEqual({ compatibility: 'BACKWARD_TRANSITIVE' });
    expect(JSON.parse((JSON.parse(calls[1].body) as { schema: string }).schema)).toEqual(V2);
  });

  it('passes a first registration, when the subject does not exist yet', async () => {
    compatible = 'no subject';
    await expect(checkSchema(url, 'users_created-value', V1)).resolves.toBeUndefined();
  });

  it('stops an incompatible schema naming the field, the rule and the versions, and registers nothing', async () => {
    compatible = false;
    const cell = withFields(NATIONALITY, { name: 'cell', type: 'string', sourcePath: 'cell' });
    const error = await checkSchema(url, 'users_created-value', cell).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain("the schema file is not BACKWARD_TRANSITIVE compatible with what subject 'users_created-value' holds");
    expect(error?.message).toContain("field 'cell' is new and has no default, so records written with version 1 (id 1) cannot be read");
    expect(error?.message).toContain("field 'cell' is new and has no default, so records written with version 2 (id 4) cannot be read");
    expect(calls.filter(({ method, url: u }) => method === 'POST' && u.startsWith('/subjects/'))).toEqual([]);
  });
});
