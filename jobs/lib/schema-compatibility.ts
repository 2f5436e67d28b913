/**
 * Why a new version of the users schema cannot read what older versions wrote, field by field: the registry says
 * whether a version is compatible, but not why (Apicurio's `verbose` answer has no messages), and a deploy that
 * stops must name the field. Avro's resolution rules as avsc implements them.
 */
import { Type, type Schema } from 'avsc';
import type { RegisteredSchema } from './registry';
import { describeError } from './retry';

/**
 * The subject's compatibility level. BACKWARD_TRANSITIVE: the newest schema must read every version written
 * before it, not only the previous one, because the stream decodes each message with its writer's schema and
 * resolves it onto the latest, and the topic (and the dead-letter topic, through the replay tool) still holds
 * messages of every version. FORWARD is not needed: no consumer keeps reading with an old schema.
 */
export const COMPATIBILITY = 'BACKWARD_TRANSITIVE';

/** A field of an avsc record type (avsc's typings do not declare them). */
export interface RecordField {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: Type;
  /** undefined when the field has no default. */
  defaultValue(): unknown;
}

/** The fields of a record type, in order; none for any other type. */
export function recordFields(type: Type): readonly RecordField[] {
  return (type as unknown as { fields?: readonly RecordField[] }).fields ?? [];
}

const shown = (type: Type) => JSON.stringify(type.schema());

/** Why data written with `writer` cannot be read with `reader` (empty: it can), one line per problem. */
export function readProblems(reader: Schema, writer: Schema): string[] {
  const readerType = Type.forSchema(reader);
  const writerType = Type.forSchema(writer);
  const writerFields = recordFields(writerType);
  const problems: string[] = [];
  for (const field of recordFields(readerType)) {
    const written = writerFields.find((w) => w.name === field.name || field.aliases.includes(w.name));
    if (written === undefined) {
      if (field.defaultValue() === undefined) problems.push(`field '${field.name}' is new and has no default`);
      continue;
    }
    try {
      field.type.createResolver(written.type);
    } catch {
      problems.push(`field '${field.name}' changes type from ${shown(written.type)} to ${shown(field.type)}`);
    }
  }
  if (problems.length > 0) return problems;
  // Anything else Avro refuses, e.g. a record renamed without an alias.
  try {
    readerType.createResolver(writerType);
  } catch (error) {
    return [describeError(error)];
  }
  return [];
}

/** What stops `local` from being registered after `registered`: each problem with the version it concerns. */
export function compatibilityProblems(local: Schema, registered: readonly RegisteredSchema[]): string[] {
  return registered.flatMap(({ version, id, schema }) =>
    readProblems(local, JSON.parse(schema) as Schema).map((problem) => `${problem}, so records written with version ${version} (id ${id}) cannot be read`),
  );
}

/** The error that stops a deploy: the subject, the rule, and each field at fault. */
export function incompatibilityMessage(subject: string, problems: readonly string[]): string {
  const lines = problems.length > 0 ? problems : ['the registry gave no reason, and avsc found none'];
  return (
    `the schema file is not ${COMPATIBILITY} compatible with what subject '${subject}' holds; nothing was registered ` +
    `or altered:\n${lines.map((line) => `  - ${line}`).join('\n')}\n` +
    'A field added to a registered schema needs a default; a field may not change its type.'
  );
}
