import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { type BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';

/** A one-file esbuild build: one entry point, one output file, input paths relative to `absWorkingDir`. */
export interface BundleBuild extends BuildOptions {
  readonly entryPoints: [string];
  readonly outfile: string;
  readonly absWorkingDir: string;
}

/** A file or directory a build depended on: its content (a directory's: its entries) and how it looked. */
interface Dependency {
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly digest: string;
  /** Device, inode, size and times; empty when they changed too recently to prove anything (see below). */
  readonly stat: string;
}

interface Manifest {
  /** The folder under the entry's folder that holds the bundle. */
  readonly bundle: string;
  readonly dependencies: Dependency[];
}

// Files in a directory that steer how esbuild resolves and compiles the files below it; npm's lock files stand
// for the installed packages, also those no build has read yet.
const RESOLUTION_FILES = new Set(['package.json', 'tsconfig.json', 'jsconfig.json', 'package-lock.json', '.package-lock.json']);
// File systems stamp times from a coarse clock: a change this close to a moment may not show in the times yet.
// A build that began that soon after a change is used but not kept, and a stat that recent is not trusted.
const CLOCK_MARGIN_MS = 2000;
// Bundles no longer in use are removed once unused this long.
const UNUSED_BUNDLE_LIFETIME_MS = 24 * 3600 * 1000;

/**
 * Builds one bundle, or serves it from `cacheDirectory`, where builds are kept between synths (bundling the
 * jobs was a third of the app's time in `cdktf synth`). A bundle is served only if everything its build
 * depended on is as it was: the same esbuild version and options, every file the build read (its metafile's
 * inputs) byte for byte, every directory above those files with the same entries (a new file there could change
 * what an import resolves to), and the package.json, tsconfig.json, jsconfig.json and npm lock files in those
 * directories. Unchanged device, inode, size and times stand for unchanged content, as in git's index; when
 * they differ the content decides. Returns the bundle's path, whose file name is the `outfile`'s.
 */
export function cachedBundle(build: BundleBuild, cacheDirectory: string): string {
  const root = build.absWorkingDir;
  const name = path.basename(build.outfile);
  // Where this process writes its build is no part of what it builds.
  const entryDirectory = path.join(cacheDirectory, 'job-bundles', sha256(JSON.stringify({ ...build, outfile: name, esbuild: esbuildVersion })));
  const manifestFile = path.join(entryDirectory, 'manifest.json');

  const manifest = readManifest(manifestFile);
  if (manifest) {
    const cached = path.join(entryDirectory, manifest.bundle, name);
    const current = manifest.dependencies.map((d) => (sameStat(root, d) ? d : observe(root, d.path, d.kind, Date.now() - CLOCK_MARGIN_MS)));
    const unchanged = (d: Dependency | undefined, i: number): d is Dependency => d?.digest === manifest.dependencies[i].digest;
    if (current.every(unchanged) && fs.existsSync(cached)) {
      const now = new Date();
      fs.utimesSync(path.dirname(cached), now, now);
      // Same content, new times (a checkout, a copy): the next lookup need not read the files again.
      if (current.some((d, i) => d !== manifest.dependencies[i])) writeManifest(manifestFile, { ...manifest, dependencies: current });
      return cached;
    }
  }

  const startedAt = Date.now();
  // Throws on a build error, naming the file and line.
  const result = buildSync({ ...build, metafile: true });
  const dependencies = dependenciesOf(root, Object.keys(result.metafile.inputs));
  // A file changed while esbuild read it: the bundle may mix old and new, so it is not kept.
  if (dependencies && dependencies.every((d) => changedAt(root, d) < startedAt - CLOCK_MARGIN_MS)) {
    store(entryDirectory, build.outfile, dependencies);
  }
  return build.outfile;
}

/** The inputs, every directory above them up to the file system's root (imports of packages look for node_modules all the way up), and the resolution files in those directories; undefined if an input is gone. */
function dependenciesOf(root: string, inputs: readonly string[]): Dependency[] | undefined {
  const trustBefore = Date.now() - CLOCK_MARGIN_MS;
  const files = new Set(inputs.map((input) => path.resolve(root, input)));
  const directories = new Set<string>();
  for (const file of files) {
    for (let directory = path.dirname(file); !directories.has(directory); directory = path.dirname(directory)) {
      directories.add(directory);
      for (const resolutionFile of RESOLUTION_FILES) {
        if (fs.existsSync(path.join(directory, resolutionFile))) files.add(path.join(directory, resolutionFile));
      }
      if (directory === path.dirname(directory)) break;
    }
  }
  const observed = [
    ...[...files].sort().map((file) => observe(root, path.relative(root, file), 'file', trustBefore)),
    ...[...directories].sort().map((directory) => observe(root, path.relative(root, directory), 'directory', trustBefore)),
  ];
  return observed.every((d): d is Dependency => d !== undefined) ? observed : undefined;
}

/** A file's or directory's digest and stat now; the stat left empty if it changed after `trustBefore`. */
function observe(root: string, relative: string, kind: Dependency['kind'], trustBefore: number): Dependency | undefined {
  const full = path.resolve(root, relative);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory() !== (kind === 'directory')) return undefined;
  const digest = kind === 'file' ? sha256(fs.readFileSync(full)) : sha256(listing(full));
  return { path: relative, kind, digest, stat: Math.max(stat.mtimeMs, stat.ctimeMs) < trustBefore ? statKey(stat) : '' };
}

/** A directory's entries: names, kinds and link targets (what resolving an import can see). */
function listing(directory: string): string {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .map((e) => `${e.name}\t${e.isSymbolicLink() ? `link ${fs.readlinkSync(path.join(directory, e.name))}` : e.isDirectory() ? 'directory' : 'file'}`)
    .sort()
    .join('\n');
}

function sameStat(root: string, dependency: Dependency): boolean {
  const stat = fs.statSync(path.resolve(root, dependency.path), { throwIfNoEntry: false });
  return dependency.stat !== '' && stat !== undefined && statKey(stat) === dependency.stat;
}

function changedAt(root: string, dependency: Dependency): number {
  const stat = fs.statSync(path.resolve(root, dependency.path), { throwIfNoEntry: false });
  return stat ? Math.max(stat.mtimeMs, stat.ctimeMs) : Infinity;
}

function statKey(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/** Keeps the bundle in a folder named by its content and points the manifest at it; parallel synths may race. */
function store(entryDirectory: string, bundle: string, dependencies: Dependency[]): void {
  fs.mkdirSync(entryDirectory, { recursive: true });
  const folder = sha256(fs.readFileSync(bundle));
  if (!fs.existsSync(path.join(entryDirectory, folder))) {
    const staging = fs.mkdtempSync(path.join(entryDirectory, 'staging-'));
    fs.chmodSync(staging, 0o755);
    fs.copyFileSync(bundle, path.join(staging, path.basename(bundle)));
    try {
      fs.renameSync(staging, path.join(entryDirectory, folder));
    } catch {
      // Another process stored the same bundle first.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  writeManifest(path.join(entryDirectory, 'manifest.json'), { bundle: folder, dependencies });
  for (const entry of fs.readdirSync(entryDirectory, { withFileTypes: true })) {
    const full = path.join(entryDirectory, entry.name);
    if (entry.isDirectory() && entry.name !== folder && Date.now() - fs.statSync(full).mtimeMs > UNUSED_BUNDLE_LIFETIME_MS) {
      fs.rmSync(full, { recursive: true, force: true });
    }
  }
}

/** Written beside and renamed into place, so a reader never sees half a manifest. */
function writeManifest(file: string, manifest: Manifest): void {
  const staging = `${file}.${process.pid}`;
  fs.writeFileSync(staging, JSON.stringify(manifest));
  fs.renameSync(staging, file);
}

function readManifest(file: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
    return typeof manifest.bundle === 'string' && Array.isArray(manifest.dependencies) ? (manifest as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
