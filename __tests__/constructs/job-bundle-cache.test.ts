import * as fs from 'fs';
import * as path from 'path';
import { cachedBundle } from '../../constructs/job-bundle-cache';

// The cache keeps no build whose inputs changed within two seconds of its start (coarse file clocks), so a test
// that wants a build kept lets its freshly written files age first.
const AGE_MS = 2100;
const age = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, AGE_MS));
// Every directory above a build's files counts (a new entry could change an import), so the scratch projects live
// in a quiet folder of the clone, not in the system's temporary folder, where other programs come and go.
const SCRATCH = path.join(__dirname, '..', '..', '.cache', 'jest-bundle-cache');
afterAll(() => fs.rmSync(SCRATCH, { recursive: true, force: true }));

/** A scratch project with the given files, a cache directory, and a bundler of its `main.ts`. */
function project(files: Record<string, string>): { root: string; write: (name: string, content: string) => void; bundle: () => { path: string; text: string } } {
  fs.mkdirSync(SCRATCH, { recursive: true });
  const root = fs.mkdtempSync(path.join(SCRATCH, 'project-'));
  // Made now, so that their first entries change no directory above the project's files after they have aged.
  const cache = path.join(root, 'cache');
  const out = path.join(root, 'out');
  fs.mkdirSync(cache);
  fs.mkdirSync(out);
  const write = (name: string, content: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, 'app', name)), { recursive: true });
    fs.writeFileSync(path.join(root, 'app', name), content);
  };
  Object.entries(files).forEach(([name, content]) => write(name, content));
  const bundle = () => {
    const bundlePath = cachedBundle(
      { entryPoints: [path.join(root, 'app', 'main.ts')], absWorkingDir: path.join(root, 'app'), outfile: path.join(out, 'main.js'), bundle: true, platform: 'node', logLevel: 'silent' },
      cache,
    );
    return { path: bundlePath, text: fs.readFileSync(bundlePath, 'utf8') };
  };
  return { root, write, bundle };
}

const fromCache = (bundlePath: string, root: string): boolean => bundlePath.startsWith(path.join(root, 'cache'));

/**
 * A build that was kept, and the same bundle served from the cache. Every directory up to the file system's root counts,
 * and on a busy machine one of them (the system's temporary folder, which may hold the clone) can gain an entry within
 * the margin of a build's start: that build is rightly not kept, so build again once things have aged.
 */
async function keptAndServed(p: ReturnType<typeof project>): Promise<{ built: { path: string; text: string }; served: { path: string; text: string } }> {
  for (let attempt = 1; ; attempt++) {
    const built = p.bundle();
    const served = p.bundle();
    if (fromCache(served.path, p.root) || attempt === 5) return { built, served };
    await age();
  }
}

describe('job bundles cached outside the clone', () => {
  test('served from the cache, the same bytes, until an input changes, even with its size and modification time kept', async () => {
    const p = project({ 'main.ts': "import { word } from './lib';\nconsole.log(word);\n", 'lib.ts': "export const word = 'alpha';\n" });
    await age();
    const { built, served } = await keptAndServed(p);
    expect(fromCache(built.path, p.root)).toBe(false);
    expect(fromCache(served.path, p.root)).toBe(true);
    expect(path.basename(served.path)).toBe('main.js');
    expect(served.text).toBe(built.text);

    // New times, same content (a checkout, a copy): still served.
    const lib = path.join(p.root, 'app', 'lib.ts');
    fs.utimesSync(lib, new Date(), new Date());
    expect(p.bundle().path).toBe(served.path);

    // Same length, old modification time put back: only the change time and the content tell.
    const before = fs.statSync(lib);
    p.write('lib.ts', "export const word = 'omega';\n");
    fs.utimesSync(lib, before.atime, before.mtime);
    const rebuilt = p.bundle();
    expect(fromCache(rebuilt.path, p.root)).toBe(false);
    expect(rebuilt.text).toContain('omega');
    expect(rebuilt.text).not.toContain('alpha');
  });

  test('a new file that an import now resolves to is bundled, not the cached one', async () => {
    const p = project({ 'main.ts': "import { word } from './lib';\nconsole.log(word);\n", 'lib.js': "exports.word = 'from-js';\n" });
    await age();
    expect(fromCache((await keptAndServed(p)).served.path, p.root)).toBe(true);
    // esbuild tries lib.ts before lib.js: the new file wins though no file the build read has changed.
    p.write('lib.ts', "export const word = 'from-ts';\n");
    expect(p.bundle().text).toContain('from-ts');
  });

  test("a package's package.json pointing elsewhere is bundled anew, though no file the build read has changed", async () => {
    const p = project({
      'main.ts': "import { word } from 'dep';\nconsole.log(word);\n",
      'node_modules/dep/package.json': '{ "name": "dep", "main": "one.js" }',
      'node_modules/dep/one.js': "exports.word = 'one';\n",
      'node_modules/dep/two.js': "exports.word = 'two';\n",
    });
    await age();
    expect(fromCache((await keptAndServed(p)).served.path, p.root)).toBe(true);
    p.write('node_modules/dep/package.json', '{ "name": "dep", "main": "two.js" }');
    const rebuilt = p.bundle();
    expect(rebuilt.text).toContain('"two"');
    expect(rebuilt.text).not.toContain('"one"');
  });

  test('a build begun right after its inputs changed is used but not kept (the change may not show in the times yet)', () => {
    const p = project({ 'main.ts': "console.log('fresh');\n" });
    const first = p.bundle();
    expect(first.text).toContain('fresh');
    expect(fromCache(p.bundle().path, p.root)).toBe(false);
    expect(fs.existsSync(path.join(p.root, 'cache', 'job-bundles'))).toBe(false);
  });
});
