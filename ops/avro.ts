/**
 * Confluent-framed Avro of the users records from the host, for the end-to-end proof and the benchmarks: the
 * framing is the jobs' own (jobs/lib/confluent.ts), the schema id the registry's.
 */
import { latestSchema } from '../jobs/lib/registry';

export { confluentHeader, decodeConfluent, encodeConfluent } from '../jobs/lib/confluent';

/** The Schema Registry subject of the users topic's values. */
const USERS_SUBJECT = 'users_created-value';

/** The registry id of the latest version of a subject (the Confluent Schema Registry API). */
export async function latestSchemaId(registryUrl: string, subject = USERS_SUBJECT): Promise<number> {
  return (await latestSchema(registryUrl, subject)).id;
}
