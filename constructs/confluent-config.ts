import * as fs from 'fs';
import * as path from 'path';

/**
 * The image contract of the Confluent services: the construct generates each service's configuration
 * file, ships it here, and starts the service's own start script with it, so no image-specific
 * environment templating is involved.
 */
export const CONFIG_DIRECTORY = '/etc/kafka-pipelining';

/** Console logging for the Confluent JVMs: the `-Dlog4j.configuration` option and the upload that ships its file. */
export function confluentLogging(): { option: string; upload: { file: string; content: string } } {
  const file = `${CONFIG_DIRECTORY}/log4j.properties`;
  return {
    option: `-Dlog4j.configuration=file:${file}`,
    upload: { file, content: fs.readFileSync(path.join(__dirname, 'assets', 'log4j.properties'), 'utf8') },
  };
}
