/**
 * Confluent-framed Avro, as the DAG's outbox sends the users records and the Spark job reads them: magic byte 0,
 * the writer schema's registry id as 4 big-endian bytes, then the record in Avro's binary encoding, done by avsc.
 */
import type { Type } from 'avsc';
import { describeError } from './retry';

/** Magic byte 0, then the schema id as 4 big-endian bytes. */
export function confluentHeader(schemaId: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return header;
}

export function encodeConfluent(type: Type, schemaId: number, record: Record<string, unknown>): Buffer {
  const problems: string[] = [];
  const valid = type.isValid(record, {
    errorHook: (fieldPath, value, fieldType) => problems.push(`record field '${fieldPath.join('.')}' must be ${fieldType.typeName}, got ${JSON.stringify(value)}`),
  });
  if (!valid) throw new Error(problems.join('; '));
  return Buffer.concat([confluentHeader(schemaId), type.toBuffer(record)]);
}

/** The writer schema's id and the Avro body of a framed message. */
export function readConfluentHeader(message: Buffer): { schemaId: number; body: Buffer } {
  if (message.length < 5 || message[0] !== 0) throw new Error('not a Confluent-framed message (magic byte 0 and a 4-byte schema id)');
  return { schemaId: message.readUInt32BE(1), body: message.subarray(5) };
}

/** The record of a message framed with `schemaId`, written with `type`. */
export function decodeConfluent(type: Type, schemaId: number, message: Buffer): Record<string, unknown> {
  const { schemaId: id, body } = readConfluentHeader(message);
  if (id !== schemaId) throw new Error(`message written with schema id ${id}, expected ${schemaId}`);
  try {
    return type.fromBuffer(body) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`not a ${type.name} record: ${describeError(error)}`);
  }
}
