/**
 * The stack's app (main.ts) as the in-place upgrade test runs it (`cdktf deploy --app`): the same app with
 * constructs/versions.ts swapped for the copy that KP_VERSIONS_MODULE names. Every other module is the
 * checkout's own, so the plan differs from the deployed one by the copy's version change alone.
 */
import * as fs from 'fs';
import Module from 'module';

/** Node's module resolver, which is not in Node's public typings. */
interface Resolver {
  _resolveFilename(request: string, ...rest: unknown[]): string;
}

const copy = process.env.KP_VERSIONS_MODULE;
if (!copy || !fs.existsSync(copy)) throw new Error(`KP_VERSIONS_MODULE must name a copy of constructs/versions.ts, got '${copy}'`);
const original = require.resolve('../../constructs/versions');
const resolver = Module as unknown as Resolver;
const resolve = resolver._resolveFilename.bind(resolver);
resolver._resolveFilename = (request, ...rest) => {
  const file = resolve(request, ...rest);
  return file === original ? copy : file;
};
// Imported only now that every import of versions.ts resolves to the copy.
import('../../main').catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
