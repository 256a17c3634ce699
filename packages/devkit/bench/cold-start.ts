import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.js';

const run = promisify(execFile);

/** The bundles of the deployment contract. */
export const HANDLER_BUNDLES = [
  'upload',
  'authorizer',
  'process-ocr-results',
  'stream-processor',
  'compaction',
] as const;

/**
 * Stand-ins for every variable the functions' config schemas read (src/config/aws-config.ts),
 * so module init parses its config and builds its container as in Lambda. Clients are lazy:
 * nothing here is contacted during init.
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
  OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-queue',
  OCR_RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ocr-results-queue',
  COMPACTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/compaction-queue',
  CHROMA_URL: 'http://127.0.0.1:9',
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
  'const mod = await import(process.argv[1]);',
  'const ms = performance.now() - started;',
  "if (typeof mod.handler !== 'function') throw new Error('bundle exports no handler');",
  'process.stdout.write(JSON.stringify({ ms }));',
].join('\n');

export interface ColdStart {
  bytes: Record<string, number>;
  initMs: Record<string, number>;
  /** The part of init that is loading the runtime-provided SDK packages the bundle imports. */
  sdkImportMs: Record<string, number>;
  runs: number;
  buildSeconds: number;
}

/**
 * Builds the bundles with scripts/build.mjs, then times import + init `runs` times per bundle.
 * Each bundle runs from a scratch directory laid out like /var/task beside /var/runtime: the
 * bundle file alone, with node_modules holding only the runtime-provided `@aws-sdk/*` and
 * `@smithy/*` packages (linked from this workspace). Any other import would fail, as in Lambda.
 */
export async function measureColdStart(handlersDir: string, runs: number): Promise<ColdStart> {
  const started = performance.now();
  await run(process.execPath, [join(handlersDir, 'scripts', 'build.mjs')], { cwd: handlersDir });
  const buildSeconds = (performance.now() - started) / 1000;
  const task = await mkdtemp(join(tmpdir(), 'receiptflow-cold-start-'));
  try {
    await linkRuntimeProvided(handlersDir, join(task, 'node_modules'));
    const bytes: Record<string, number> = {};
    const samples: Record<string, number[]> = {};
    const sdkSamples: Record<string, number[]> = {};
    const externals: Record<string, string[]> = {};
    for (const name of HANDLER_BUNDLES) {
      const built = join(handlersDir, 'dist', name, 'index.mjs');
      bytes[name] = (await stat(built)).size;
      await mkdir(join(task, name));
      await copyFile(built, join(task, name, 'index.mjs'));
      samples[name] = [];
      sdkSamples[name] = [];
      externals[name] = externalImports(await readFile(built, 'utf8'));
    }
    // Round-robin, so drift on a shared machine hits every bundle alike.
    for (let i = 0; i < runs; i++) {
      for (const name of HANDLER_BUNDLES) {
        samples[name]!.push(await probe(task, name, PROBE, pathToFileURL(join(task, name, 'index.mjs')).href));
        sdkSamples[name]!.push(await probe(task, name, SDK_PROBE, JSON.stringify(externals[name])));
      }
    }
    const medians = (s: Record<string, number[]>) =>
      Object.fromEntries(HANDLER_BUNDLES.map((name) => [name, median(s[name]!)]));
    return { bytes, initMs: medians(samples), sdkImportMs: medians(sdkSamples), runs, buildSeconds };
  } finally {
    await rm(task, { recursive: true, force: true });
  }
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

async function probe(task: string, name: string, script: string, arg: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, arg], {
    cwd: join(task, name),
    env: { PATH: process.env.PATH ?? '', ...DUMMY_LAMBDA_ENV },
  });
  const { ms } = JSON.parse(stdout) as { ms: number };
  return ms;
}
