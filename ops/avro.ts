/**
 * Confluent-framed Avro for the users contract (jobs/schemas/user.avsc), whose fields are all required
 * strings: the magic byte, the 4-byte schema id, then each field as a zigzag-varint length and UTF-8 bytes.
 * The benchmark produces and the plain consumer reads exactly what the DAG's outbox sends.
 */
import { userFields } from '../jobs/bootstrap';

/** The record's field names in order; the bootstrap job's reading, which refuses any non-string field. */
export const stringFields = userFields;

function zigzagVarint(value: number): number[] {
  let n = value * 2; // lengths are never negative
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** Magic byte 0, then the schema id as 4 big-endian bytes. */
export function confluentHeader(schemaId: number): Buffer {
  return Buffer.from([0, (schemaId >>> 24) & 255, (schemaId >>> 16) & 255, (schemaId >>> 8) & 255, schemaId & 255]);
}

export function encodeConfluent(fields: readonly string[], schemaId: number, record: Record<string, string>): Buffer {
  const parts: Buffer[] = [confluentHeader(schemaId)];
  for (const field of fields) {
    const value = record[field];
    if (typeof value !== 'string') throw new Error(`record field '${field}' must be a string, got ${JSON.stringify(value)}`);
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(zigzagVarint(bytes.length)), bytes);
  }
  return Buffer.concat(parts);
}

export function decodeConfluent(fields: readonly string[], schemaId: number, message: Buffer): Record<string, string> {
  if (message.length < 5 || message[0] !== 0) throw new Error('not a Confluent-framed message (magic byte 0 and a 4-byte schema id)');
  const id = message.readUInt32BE(1);
  if (id !== schemaId) throw new Error(`message written with schema id ${id}, expected ${schemaId}`);
  let offset = 5;
  const record: Record<string, string> = {};
  for (const field of fields) {
    let zigzag = 0;
    let scale = 1;
    for (;;) {
      if (offset >= message.length) throw new Error(`message ends inside field '${field}'`);
      const byte = message[offset++];
      zigzag += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    const length = zigzag / 2;
    if (!Number.isInteger(length) || offset + length > message.length) throw new Error(`field '${field}' has a bad length`);
    record[field] = message.toString('utf8', offset, offset + length);
    offset += length;
  }
  if (offset !== message.length) throw new Error(`${message.length - offset} bytes left after the last field`);
  return record;
}
