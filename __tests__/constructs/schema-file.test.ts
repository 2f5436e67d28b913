import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthPlatform } from '../helpers/synth';

const SCHEMA_FILE = path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc');
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-file-test-'));

/** A copy of the users schema with `change` applied, in a temporary folder. */
function schemaCopy(name: string, change: (schema: { fields: unknown[] }) => unknown): string {
  return textFile(name, JSON.stringify(change(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as { fields: unknown[] })));
}

function textFile(name: string, text: string): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, text);
  return file;
}

afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('pipeline.schemaFile', () => {
  const evolved = schemaCopy('evolved.avsc', (s) => ({ ...s, fields: [...s.fields, { name: 'nationality', type: 'string', default: '', sourcePath: 'nat' }] }));

  test('a schema change replaces the bootstrap job alone: every other container is the same in the plan', () => {
    // Terraform replaces what changed; bootstrap then checks the schema before anything else is touched.
    const before = synthPlatform();
    const after = synthPlatform({ pipeline: { schemaFile: evolved } });
    const byName = (plan: ReturnType<typeof synthPlatform>) => new Map(plan.containers().map((c) => [c.name as string, JSON.stringify(c)]));
    const [was, is] = [byName(before), byName(after)];
    const changed = [...is.keys()].filter((name) => is.get(name) !== was.get(name));
    expect(changed).toEqual(['kp-bootstrap']);
    const schemaUpload = (plan: ReturnType<typeof synthPlatform>) =>
      plan.container('kp-bootstrap').upload.find((u: { file: string }) => u.file === '/opt/kafka-pipelining/job/schemas/user.avsc');
    expect(schemaUpload(after).source_hash).not.toBe(schemaUpload(before).source_hash);
  });

  test.each([
    ['a relative path', () => 'user.avsc', "pipeline.schemaFile must be the absolute path of an existing file, got 'user.avsc'"],
    ['a missing file', () => path.join(directory, 'missing.avsc'), 'pipeline.schemaFile must be the absolute path of an existing file'],
    ['a file that is not JSON', () => textFile('broken.avsc', '{"type": "record", '), 'pipeline.schemaFile must hold an Avro schema'],
    ['an invalid Avro schema', () => schemaCopy('invalid.avsc', (s) => ({ ...s, fields: [{ name: 'id', type: 'strng' }] })), 'pipeline.schemaFile must hold an Avro schema'],
  ])('refuses %s, by name', (_case, file, message) => {
    expect(() => synthPlatform({ pipeline: { schemaFile: file() } })).toThrow(message);
  });
});
