import * as fs from 'fs';
import * as path from 'path';
import { Type, type Schema } from 'avsc';
import { confluentHeader, decodeConfluent, encodeConfluent } from '../../ops/avro';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8'));
const users = Type.forSchema(schema);
const fields: string[] = schema.fields.map((f: { name: string }) => f.name);
// Multi-byte UTF-8 of varying lengths, all under 64 bytes so each length is a single varint byte.
const row = Object.fromEntries(fields.map((f, i) => [f, f === 'id' ? '6f1c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f5' : `${f}-${'é'.repeat(i * 2)}`]));
const oneString = (type: Schema) => Type.forSchema({ type: 'record', name: 'One', fields: [{ name: 'id', type }] });

describe('Confluent-framed Avro of the users contract', () => {
  test('frames with magic byte 0 and the big-endian schema id, and round-trips every field', () => {
    expect([...confluentHeader(258)]).toEqual([0, 0, 0, 1, 2]);
    expect([...confluentHeader(0x7f010203)]).toEqual([0, 0x7f, 1, 2, 3]);
    const message = encodeConfluent(users, 258, row);
    expect([...message.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(decodeConfluent(users, 258, message)).toEqual(row);
  });

  // The oracle, independent of avsc: byte vectors written from the Avro specification (a string is its
  // byte length as a zigzag varint, then its UTF-8 bytes; a record is its fields in schema order).
  test('matches the Avro specification byte for byte', () => {
    expect([...encodeConfluent(oneString('string'), 1, { id: 'ab' })]).toEqual([0, 0, 0, 0, 1, 4, 0x61, 0x62]);
    expect([...encodeConfluent(oneString('string'), 1, { id: 'é' })]).toEqual([0, 0, 0, 0, 1, 4, 0xc3, 0xa9]);
    // 100 bytes: zigzag 200 needs two varint bytes, low 7 bits first.
    expect([...encodeConfluent(oneString('string'), 1, { id: 'x'.repeat(100) }).subarray(5, 7)]).toEqual([0xc8, 0x01]);
    // The users contract's uuid logical type is written as its underlying string.
    expect([...encodeConfluent(oneString({ type: 'string', logicalType: 'uuid' }), 1, { id: 'ab' })]).toEqual([0, 0, 0, 0, 1, 4, 0x61, 0x62]);
    const bySpec = Buffer.concat([
      confluentHeader(7),
      ...fields.flatMap((f) => [Buffer.from([2 * Buffer.byteLength(row[f])]), Buffer.from(row[f], 'utf8')]),
    ]);
    expect(encodeConfluent(users, 7, row).equals(bySpec)).toBe(true);
    expect(decodeConfluent(users, 7, bySpec)).toEqual(row);
  });

  test('refuses what it cannot read or write, naming the problem', () => {
    const message = encodeConfluent(users, 1, row);
    expect(() => decodeConfluent(users, 1, Buffer.from('{"id":1}'))).toThrow('not a Confluent-framed message');
    expect(() => decodeConfluent(users, 1, Buffer.from([0, 0, 1]))).toThrow('not a Confluent-framed message');
    expect(() => decodeConfluent(users, 2, message)).toThrow('written with schema id 1, expected 2');
    expect(() => decodeConfluent(users, 1, message.subarray(0, 20))).toThrow('not a io.kafkapipelining.users.User record: truncated buffer');
    expect(() => decodeConfluent(users, 1, Buffer.concat([message, Buffer.from([0])]))).toThrow('trailing data');
    expect(() => encodeConfluent(users, 1, { ...row, email: undefined })).toThrow("record field 'email' must be string, got undefined");
    expect(() => encodeConfluent(users, 1, { ...row, phone: 5 })).toThrow("record field 'phone' must be string, got 5");
    expect(() => confluentHeader(2 ** 32)).toThrow();
  });
});
