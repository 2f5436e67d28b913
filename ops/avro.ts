/**
 * Confluent-framed Avro of the users records from the host, for the end-to-end proof and the benchmarks: the
 * framing is the jobs' own (jobs/lib/confluent.ts), the schema id the registry's.
 */
import { latestSchema, withLogin } from '../jobs/lib/registry';

export { confluentHeader, decodeConfluent, encodeConfluent } from '../jobs/lib/confluent';

/** The Schema Registry subject of the users topic's values. */
const USERS_SUBJECT = 'users_created-value';

/**
 * The registry's URL from the Docker host with a login of the stack's outputs in it, the form the registry functions
 * take: the reader's (`schema_registry_user`), or the writer's for registering.
 */
export function registryUrl(outputs: Readonly<Record<string, string>>, client: 'reader' | 'writer' = 'reader'): string {
  const prefix = client === 'reader' ? 'schema_registry' : 'schema_registry_writer';
  return withLogin(outputs.schema_registry_url, outputs[`${prefix}_user`], outputs[`${prefix}_password`]);
}

/** The registry id of the latest version of a subject (the Confluent Schema Registry API). */
export async function latestSchemaId(registryUrl: string, subject = USERS_SUBJECT): Promise<number> {
  return (await latestSchema(registryUrl, subject)).id;
}
