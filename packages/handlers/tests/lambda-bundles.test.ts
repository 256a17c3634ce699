import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDbOcrJobStore } from '@receiptflow/adapters-aws/dynamodb';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { makeImage, makeJob } from '@receiptflow/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweepEmulators, type SweepEmulators } from './support/sweep-emulators.js';

// The deployed artefacts themselves (scripts/build.mjs): every Lambda entry bundled with the AWS
// SDK inside (issue 18, P5), nothing left for the runtime to provide, and a bundle doing real
// DynamoDB and SQS calls from a directory with no node_modules, with credentials from the
// environment only, as on Lambda.

const run = promisify(execFile);
/**
 * chromadb imports its default embedding function inside a try/catch, only for a collection
 * given no embeddings; the adapters always pass embeddings, so it is not installed (nor bundled).
 */
const NOT_INSTALLED_ON_PURPOSE = ['@chroma-core/default-embed'];
const handlersDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let scratch: string;
let dist: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'receiptflow-bundles-'));
  dist = join(scratch, 'dist');
  await run(process.execPath, [join(handlersDir, 'scripts', 'build.mjs'), '--outdir', dist], { cwd: handlersDir });
}, 240_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the Lambda bundles', () => {
  it('builds one folder per entry of src/lambda and records each size', async () => {
    const entries = (await readdir(join(handlersDir, 'src', 'lambda')))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(entries).toContain('sweep');
    for (const name of entries) expect(existsSync(join(dist, name, 'index.mjs')), name).toBe(true);
    const sizes = JSON.parse(await readFile(join(dist, 'sizes.json'), 'utf8')) as {
      sdk: string;
      functions: Record<string, { bytes: number; entry_bytes: number }>;
    };
    expect(sizes.sdk).toBe('bundled');
    expect(Object.keys(sizes.functions).sort()).toEqual(entries);
    for (const { bytes, entry_bytes } of Object.values(sizes.functions))
      expect(bytes).toBeGreaterThanOrEqual(entry_bytes);
  });

  it('leaves nothing but node built-ins to the runtime: the AWS SDK is inside', async () => {
    const builtins = new Set(builtinModules);
    const { functions } = JSON.parse(await readFile(join(dist, 'sizes.json'), 'utf8')) as {
      functions: Record<string, { imports: string[] }>;
    };
    for (const [name, { imports }] of Object.entries(functions)) {
      const foreign = imports.filter(
        (spec) => !spec.startsWith('node:') && !builtins.has(spec) && !NOT_INSTALLED_ON_PURPOSE.includes(spec),
      );
      expect(foreign, name).toEqual([]);
    }
    // Checked against the files too: no static import of a package in any file of a function.
    for (const name of Object.keys(functions))
      for (const file of await readdir(join(dist, name))) {
        const code = await readFile(join(dist, name, file), 'utf8');
        expect(code, `${name}/${file}`).not.toMatch(/(?:^|[;}\n])import\s*\{[^}]*\}\s*from\s*["']@/);
      }
  });

  it("holds its own function's config schema only: every other function's is tree-shaken away", async () => {
    // A variable only one function's schema reads (src/config/aws-config.ts), by function. Each
    // schema is built in a pure call, so a bundle that never parses it neither holds nor builds it.
    const OWN = {
      sweep: 'SWEEP_LOOKBACK_SECONDS',
      pipeline: 'OPERATOR_OWNERS',
      compaction: 'LEASE_MS',
      'receipts-export': 'EXPORT_BUCKET',
      'process-ocr-results': 'EMBEDDING_MODEL',
    };
    const functions = (await readdir(dist, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(functions).toEqual(expect.arrayContaining(Object.keys(OWN)));
    for (const name of functions) {
      let code = '';
      for (const file of await readdir(join(dist, name))) code += await readFile(join(dist, name, file), 'utf8');
      for (const [owner, variable] of Object.entries(OWN))
        expect(code.includes(variable), `${name} holds ${variable}`).toBe(name === owner);
    }
  });

  it("builds none of core's domain schemas where the function never reaches them", async () => {
    // The authorizer checks an API key and parses no receipt, yet imports core (its errors, the
    // owner schema): core declares each schema in a pure call (core/src/schema.ts), so the
    // receipt-field schemas, by their messages, are neither held nor built at its init, while
    // a function that stores receipts still holds them.
    const MESSAGES = ['must be YYYY-MM-DD', 'must be three capital letters'];
    const codeOf = async (name: string) => {
      let code = '';
      for (const file of await readdir(join(dist, name))) code += await readFile(join(dist, name, file), 'utf8');
      return code;
    };
    const authorizer = await codeOf('authorizer');
    const upload = await codeOf('upload');
    for (const message of MESSAGES) {
      expect(authorizer.includes(message), `authorizer holds "${message}"`).toBe(false);
      expect(upload.includes(message), `upload holds "${message}"`).toBe(true);
    }
  });

  it('holds the schemas of the S3 operations it sends, and none of those it never sends', async () => {
    // The SDK clients describe every operation of their service in one schema module, whose
    // computed keys kept esbuild from dropping any of it (65 KB of S3 schemas compiled at every S3
    // user's init); scripts/sdk-schema-keys.mjs makes them droppable (docs/benchmarks.md, P5,
    // session 12). No function configures a bucket (infra does): their schemas must be gone,
    // while the operations the functions do send stay.
    const codeOf = async (name: string) => {
      let code = '';
      for (const file of await readdir(join(dist, name))) code += await readFile(join(dist, name, file), 'utf8');
      return code;
    };
    for (const name of ['process-ocr-results', 'compaction', 'receipts-read', 'upload']) {
      const code = await codeOf(name);
      expect(code.includes('"GetObjectRequest"'), `${name} holds GetObject's schema`).toBe(true);
      for (const unused of ['PutBucketLifecycleConfigurationRequest', 'GetBucketAnalyticsConfigurationOutput'])
        expect(code.includes(unused), `${name} holds ${unused}`).toBe(false);
    }
  });

  it('holds the parts of zod it uses, not all of zod', async () => {
    // Imported as `{ z }`, zod's namespace object went whole into every bundle (~190 KB at each
    // init); as `import * as z` (lint enforces it) esbuild keeps what the code calls
    // (docs/benchmarks.md, P5, session 12). No function turns JSON Schema into zod: that
    // converter, by its error message, is the mark of the whole namespace. z.object is used.
    const functions = (await readdir(dist, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(functions).toContain('process-ocr-results');
    for (const name of functions) {
      let code = '';
      for (const file of await readdir(join(dist, name))) code += await readFile(join(dist, name, file), 'utf8');
      expect(code.includes('fromJSONSchema input is not valid JSON'), `${name} holds zod's fromJSONSchema`).toBe(false);
      expect(code.includes('Unrecognized key'), `${name} holds zod's object checks`).toBe(true);
    }
  });

  describe('vector storage: each mode in a chunk of its own, only the configured one loaded at init', () => {
    // A string only chroma-client.ts writes (Chroma's auth header), and an error message only the
    // HNSW index files' follower writes: each marks the file holding that mode's code.
    const CHROMA = 'x-chroma-token';
    const HNSW = 'no writer has created this vector index yet';
    const env = {
      TABLE_NAME: 'jobs',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      LOG_LEVEL: 'error',
      RAW_BUCKET: 'raw-bucket',
      ARTIFACTS_BUCKET: 'artifacts',
      VECTORS_BUCKET: 'vectors',
      OPENAI_API_KEY: 'sk-test',
      GOOGLE_PLACES_API_KEY: 'places-test',
      API_KEY_SHA256: 'a'.repeat(64),
    };
    const MODES = {
      server: { CHROMA_URL: 'http://127.0.0.1:9' },
      efs: { VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/vectors' },
    };
    /** Imports the function's bundle from `task` in a fresh process: its init, as Lambda runs it. */
    const init = (task: string, mode: keyof typeof MODES) =>
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(pathToFileURL(join(task, 'index.mjs')).href)}); process.stdout.write(typeof m.handler);`,
        ],
        { cwd: task, env: { PATH: process.env.PATH ?? '', HOME: task, ...env, ...MODES[mode] } },
      ).then(
        ({ stdout }) => stdout,
        (error: { stderr?: string }) => `failed: ${error.stderr ?? String(error)}`,
      );

    // Node's fetch (undici, with the http2, assert, perf_hooks and worker_threads it pulls in) is a
    // tenth of an init wherever something touches it at import (docs/benchmarks.md, P5): the
    // OpenAI SDK did in process-ocr-results, and so does any ESM import of node:http on Node 22
    // (its view of the module reads the lazy WebSocket export). No function needs it at init.
    it("in efs mode, no function's init loads Node's fetch implementation (undici)", { timeout: 240_000 }, async () => {
      const functions = (await readdir(dist, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
      expect(functions).toContain('process-ocr-results');
      const queue = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
      // What the functions beyond the three above read too (src/config/aws-config.ts).
      const everyFunction = {
        ...env,
        ...MODES.efs,
        EXPORT_BUCKET: 'exports',
        OCR_JOB_QUEUE_URL: queue('ocr'),
        OCR_RESULTS_QUEUE_URL: queue('ocr-results'),
        COMPACTION_QUEUE_URL: queue('compaction'),
        OCR_DLQ_URL: queue('ocr-dlq'),
        OCR_RESULTS_DLQ_URL: queue('ocr-results-dlq'),
        COMPACTION_DLQ_URL: queue('compaction-dlq'),
      };
      for (const name of functions) {
        const task = join(dist, name);
        const { stdout } = await run(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(pathToFileURL(join(task, 'index.mjs')).href)});
             process.stdout.write(JSON.stringify({ handler: typeof m.handler,
               undici: process.moduleLoadList.filter((l) => l.includes('undici')) }));`,
          ],
          { cwd: task, env: { PATH: process.env.PATH ?? '', HOME: task, ...everyFunction } },
        );
        expect(JSON.parse(stdout), name).toEqual({ handler: 'function', undici: [] });
      }
    });

    for (const name of ['compaction', 'process-ocr-results', 'receipts-read']) {
      it(`${name}: initialises without the other mode's chunk, and needs its own`, { timeout: 120_000 }, async () => {
        const files = await readdir(join(dist, name));
        const holding = async (marker: string) => {
          const found: string[] = [];
          for (const file of files)
            if ((await readFile(join(dist, name, file), 'utf8')).includes(marker)) found.push(file);
          return found;
        };
        const [chroma, hnsw] = [await holding(CHROMA), await holding(HNSW)];
        expect(chroma, 'Chroma client chunk').toHaveLength(1);
        expect(hnsw, 'HNSW index chunk').toHaveLength(1);
        expect([chroma[0], hnsw[0]]).not.toContain('index.mjs');
        expect(chroma[0]).not.toBe(hnsw[0]);
        const without = async (chunk: string) => {
          const task = await mkdtemp(join(tmpdir(), 'receiptflow-task-'));
          await cp(join(dist, name), task, { recursive: true });
          await rm(join(task, chunk));
          return task;
        };
        const noChroma = await without(chroma[0]!);
        const noHnsw = await without(hnsw[0]!);
        try {
          // efs never reads Chroma's chunk; server cannot start without it (its init loads it,
          // so the init time measured includes it), and the other way round for the index files.
          expect(await init(noChroma, 'efs')).toBe('function');
          const serverWithout = await init(noChroma, 'server');
          expect(serverWithout).toMatch(/^failed: /);
          expect(serverWithout).toContain(chroma[0]);
          expect(await init(noHnsw, 'server')).toBe('function');
          const efsWithout = await init(noHnsw, 'efs');
          expect(efsWithout).toMatch(/^failed: /);
          expect(efsWithout).toContain(hnsw[0]);
        } finally {
          await rm(noChroma, { recursive: true, force: true });
          await rm(noHnsw, { recursive: true, force: true });
        }
      });
    }
  });

  describe('the bundled sweep on dynalite + fauxqs, from a folder without node_modules', () => {
    let aws: SweepEmulators | undefined;
    afterAll(async () => {
      await aws?.stop();
    });

    it('finds a lost OCR job through DynamoDB and re-sends it through SQS', { timeout: 120_000 }, async () => {
      aws = await startSweepEmulators();
      const jobs = new DynamoDbOcrJobStore(aws.doc, { tableName: aws.tableName, clock: new SystemClock() });
      const at = new Date(Date.now() - 20 * 60_000).toISOString();
      const image = makeImage({ upload_state: 'UPLOADED', created_at: at });
      const job = makeJob({ image_id: image.image_id, status: 'PENDING', created_at: at, updated_at: at });
      await jobs.createImage(image);
      await jobs.createJob(job);

      // /var/task: the function's folder alone; nothing above it holds a node_modules.
      const task = await mkdtemp(join(tmpdir(), 'receiptflow-task-'));
      await cp(join(dist, 'sweep'), task, { recursive: true });
      const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(task, 'index.mjs')).href)});
process.stdout.write(JSON.stringify(await handler({})));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: task,
        env: { PATH: process.env.PATH ?? '', HOME: task, ...aws.env },
      });
      await rm(task, { recursive: true, force: true });
      expect(JSON.parse(stdout)).toMatchObject({ ocr: 1, results: 0 });
      const [message] = await new SqsQueue(aws.sqs, { queueUrl: aws.queueUrls.ocr }).receive({
        maxMessages: 10,
        waitSeconds: 0,
      });
      expect(JSON.parse(message!.body)).toMatchObject({ job_id: job.job_id, image_id: image.image_id });
    });
  });
});
