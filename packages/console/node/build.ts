import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleBuildError } from './errors.js';
import { consoleViteConfig } from './vite-config.js';

/** The console package's folder (sources, `index.html`, `dist/`). */
export const CONSOLE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What a build is made from: its hash names the build's folder under `dist/`. */
const INPUTS = ['index.html', 'package.json', 'node/vite-config.ts', 'src', 'public'];

export interface ConsoleBuildOptions {
  /** The package folder, default {@link CONSOLE_ROOT} (tests build a copy). */
  root?: string;
  /** Told when a build starts and ends (the server prints it: a first build takes a few seconds). */
  log?: (message: string) => void;
}

/**
 * The hash of everything a build is made from (sources, page, config, pinned versions): equal
 * inputs give an equal hash, so a build can be reused, and a changed source a new build.
 */
export async function consoleSourceHash(root: string = CONSOLE_ROOT): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const input of INPUTS) await collect(join(root, input), files);
  for (const file of files.sort()) {
    hash.update(relative(root, file).split(sep).join('/'));
    hash.update('\0');
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function collect(path: string, into: string[]): Promise<void> {
  if (!existsSync(path)) return;
  if (!(await stat(path)).isDirectory()) {
    into.push(path);
    return;
  }
  for (const entry of await readdir(path)) await collect(join(path, entry), into);
}

const inFlight = new Map<string, Promise<string>>();

/**
 * The folder of the console's static build for the current sources: `dist/<hash>/`, built with
 * Vite first when it is missing (a fresh clone, or sources changed since). Offline: Vite and the
 * sources are all local. Safe when several processes start at once: each builds into its own
 * temporary folder and renames it into place, and a folder that already exists is the same
 * build (same hash), so the loser discards its copy. Older builds are removed.
 *
 * @example
 * const dir = await ensureConsoleBuilt({ log: console.error }); // .../packages/console/dist/3f2a…/
 * await readFile(join(dir, 'index.html'));
 */
export function ensureConsoleBuilt(options: ConsoleBuildOptions = {}): Promise<string> {
  const root = options.root ?? CONSOLE_ROOT;
  let pending = inFlight.get(root);
  if (!pending) {
    pending = build(root, options.log ?? (() => undefined));
    inFlight.set(root, pending);
    // A failed build is tried again by the next caller (the sources may have been fixed).
    pending.catch(() => inFlight.delete(root));
  }
  return pending;
}

async function build(root: string, log: (message: string) => void): Promise<string> {
  const hash = await consoleSourceHash(root);
  const dist = join(root, 'dist');
  const target = join(dist, hash);
  if (existsSync(join(target, 'index.html'))) return target;

  const started = performance.now();
  log(`building the console (${hash}) with Vite`);
  await mkdir(dist, { recursive: true });
  const temporary = join(dist, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const { build: viteBuild } = await import('vite');
    const config = consoleViteConfig(root);
    await viteBuild({ ...config, build: { ...config.build, outDir: temporary, emptyOutDir: true } });
    try {
      await rename(temporary, target);
    } catch (error) {
      // Another process renamed the same build into place first: theirs is identical.
      if (!existsSync(join(target, 'index.html'))) throw error;
    }
  } catch (error) {
    throw new ConsoleBuildError(root, { cause: error });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  await removeOtherBuilds(dist, hash);
  log(`console built in ${Math.round(performance.now() - started)} ms`);
  return target;
}

/**
 * Older builds (other hashes), and the temporary folders of builds whose process is gone (a
 * `receipts serve` that failed to start exits without waiting for its build); temporary folders
 * of builds still in progress are left alone. Exported for its test.
 *
 * @example
 * await removeOtherBuilds(join(root, 'dist'), hash);
 */
export async function removeOtherBuilds(dist: string, keep: string): Promise<void> {
  for (const entry of await readdir(dist)) {
    if (entry === keep) continue;
    const temporary = /^\.tmp-(\d+)-/.exec(entry);
    if (temporary && processIsAlive(Number(temporary[1]))) continue;
    await rm(join(dist, entry), { recursive: true, force: true });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
