/**
 * Confluent-framed Avro, as the DAG's outbox sends the users records (jobs/schemas/user.avsc) and the
 * Spark job reads them: magic byte 0, the schema's registry id as 4 big-endian bytes, then the record in
 * Avro's binary encoding, done by avsc.
 */
import type { Type } from 'avsc';
import { describeError } from '../jobs/lib/retry';

/** The Schema Registry subject of the users topic's values. */
const USERS_SUBJECT = 'users_created-value';

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

export function decodeConfluent(type: Type, schemaId: number, message: Buffer): Record<string, unknown> {
  if (message.length < 5 || message[0] !== 0) throw new Error('not a Confluent-framed message (magic byte 0 and a 4-byte schema id)');
  const id = message.readUInt32BE(1);
  if (id !== schemaId) throw new Error(`message written with schema id ${id}, expected ${schemaId}`);
  try {
    return type.fromBuffer(message.subarray(5)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`not a ${type.name} record: ${describeError(error)}`);
  }
}

/** The registry id of the latest version of a subject (the Confluent Schema Registry API). */
export async function latestSchemaId(registryUrl: string, subject = USERS_SUBJECT): Promise<number> {
  const response = await fetch(`${registryUrl}/subjects/${subject}/versions/latest`);
  if (!response.ok) throw new Error(`the Schema Registry answered ${response.status} for ${subject}: ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}
