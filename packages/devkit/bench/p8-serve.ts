import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspectImage } from '@receiptflow/core';
import { TesseractOcrEngine } from '@receiptflow/adapters-local/ocr';
import type { Corpus, CorpusImage } from './corpus.js';
import type { Plan } from './plan.js';
import { percentile, ratio, round } from './stats.js';

/** Upload requests in flight at once (the "50 uploads in flight"). */
export const P8_IN_FLIGHT = 50;
/** One upload request every this many ms while OCR runs: the latency probe. */
const PROBE_EVERY_MS = 250;
/** How often the oldest unfinished receipts' stage is asked for. */
const POLL_EVERY_MS = 200;
/** Preloaded into the serve child: its event-loop delay while the measured images are processed. */
const EVENT_LOOP_PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'event-loop-delay.mjs');
/** A run that takes longer than this is broken, not slow. */
const TIME_LIMIT_MS = 15 * 60_000;

/**
 * P8: receipts per minute end to end through `receipts serve` (a child process, as users run
 * it) with `workers` OCR workers, against raw OCR throughput of the same images with as many
 * tesseract workers on the same cores; and the latency of upload requests made while OCR runs.
 *
 * The measured images are uploaded at once (up to 50 requests in flight) after the workers were
 * warmed on other images; the clock stops when the last one's stage is `compacted`. While they
 * are processed, a probe sends an upload request (`POST /upload-receipt` with a JSON body: the
 * presigned-upload request a client makes first, which adds no OCR work) every 250 ms;
 * `p8_upload_p95_ms` is the 95th percentile of those.
 */
export async function measureP8(
  corpus: Corpus,
  plan: Plan,
  handlersDir: string,
  progress: (line: string) => void,
): Promise<Record<string, unknown>> {
  const workers = 2;
  const wanted = plan.serveImages;
  // The last `workers` images warm the workers; the measured ones come before them.
  const measured = corpus.images.slice(0, Math.min(wanted, corpus.images.length - workers));
  const warm = corpus.images.slice(-workers);
  if (measured.length === 0) throw new Error(`P8 needs more than ${workers} corpus images`);
  progress(`P8: raw OCR throughput of ${measured.length} images with ${workers} tesseract workers`);
  const raw = await rawOcrPerMinute(measured, warm, workers);
  const ocrPerMin = raw.perMinute;
  progress(`P8: the same ${measured.length} images through receipts serve (${workers} OCR workers)`);
  const serve = await serveRun(corpus, measured, warm, workers, handlersDir);
  return {
    p8_images: measured.length,
    p8_ocr_workers: workers,
    p8_ocr_receipts_per_min: round(ocrPerMin, 1),
    p8_serve_receipts_per_min: round(serve.receiptsPerMin, 1),
    p8_throughput_ratio: round(ratio(serve.receiptsPerMin, ocrPerMin)),
    p8_upload_p50_ms: round(percentile(serve.probeMs, 0.5), 1),
    p8_upload_p95_ms: round(percentile(serve.probeMs, 0.95), 1),
    p8_upload_probes: serve.probeMs.length,
    p8_direct_upload_p95_ms: round(percentile(serve.directMs, 0.95), 1),
    p8_serve_seconds: round(serve.seconds, 1),
    // How late serve's event loop ran timers meanwhile: its longest synchronous stretches.
    p8_event_loop_delay_p50_ms: serve.eventLoop?.p50_ms ?? null,
    p8_event_loop_delay_p99_ms: serve.eventLoop?.p99_ms ?? null,
    p8_event_loop_delay_max_ms: serve.eventLoop?.max_ms ?? null,
    // CPU a receipt (every thread) raw and through serve; the difference is what serve adds to
    // OCR, and the main thread's busy time is most of it (an OCR slowed by it shows up there too).
    p8_ocr_cpu_ms_per_receipt: round(raw.cpuMs / measured.length, 0),
    p8_serve_cpu_ms_per_receipt: serve.eventLoop ? round(serve.eventLoop.cpu_ms / measured.length, 0) : null,
    p8_serve_main_busy_ms_per_receipt: serve.eventLoop
      ? round(serve.eventLoop.main_busy_ms / measured.length, 0)
      : null,
  };
}

/**
 * The OCR step alone: TesseractOcrEngine (as serve builds it) over the images, `workers` at a
 * time. Also the CPU this process took meanwhile (its workers' and its main thread's, which only
 * hands images out).
 */
async function rawOcrPerMinute(
  images: readonly CorpusImage[],
  warm: readonly CorpusImage[],
  workers: number,
): Promise<{ perMinute: number; cpuMs: number }> {
  const ocr = new TesseractOcrEngine({ concurrency: workers });
  try {
    await Promise.all(warm.map((image) => ocr.recognize(image.bytes)));
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < images.length) await ocr.recognize(images[next++]!.bytes);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    return {
      perMinute: (images.length / (performance.now() - started)) * 60_000,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    await ocr.terminate();
  }
}

interface ServeRun {
  receiptsPerMin: number;
  /** Upload requests made while the measured receipts were processed. */
  probeMs: number[];
  /** The measured images' own direct uploads (sent at once). */
  directMs: number[];
  seconds: number;
  /** serve's event-loop delay while the measured images were processed (event-loop-delay.mjs). */
  eventLoop: { p50_ms: number; p99_ms: number; max_ms: number; cpu_ms: number; main_busy_ms: number } | null;
}

async function serveRun(
  corpus: Corpus,
  images: readonly CorpusImage[],
  warm: readonly CorpusImage[],
  workers: number,
  handlersDir: string,
): Promise<ServeRun> {
  const data = await mkdtemp(join(tmpdir(), 'receiptflow-bench-serve-'));
  const catalog = join(data, 'places.json');
  await writeFile(catalog, JSON.stringify(corpus.catalog));
  const eldFile = join(data, 'event-loop-delay.json');
  // RECEIPTFLOW_BENCH_CPU_PROF=DIR: a V8 CPU profile of the serve child, to find its long stretches.
  const cpuProf = process.env.RECEIPTFLOW_BENCH_CPU_PROF;
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(EVENT_LOOP_PRELOAD).href,
      ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []),
      join(handlersDir, 'bin', 'receipts.js'),
      'serve',
      '--port',
      '0',
      '--data',
      join(data, 'store'),
      '--places',
      catalog,
      '--ocr-workers',
      String(workers),
      '--log-format',
      'json',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RECEIPTFLOW_BENCH_ELD_FILE: eldFile } },
  );
  try {
    const base = await listeningUrl(child);
    // Warm every OCR worker (they start on their first image) before the clock runs.
    const warmIds = await Promise.all(warm.map(async (image) => (await upload(base, image)).imageId));
    await Promise.all(warmIds.map((id) => untilFinished(base, id, performance.now() + TIME_LIMIT_MS)));

    child.kill('SIGUSR2');
    const started = performance.now();
    const directMs: number[] = [];
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(P8_IN_FLIGHT, images.length) }, async () => {
        while (next < images.length) {
          const { imageId, ms } = await upload(base, images[next++]!);
          ids.push(imageId);
          directMs.push(ms);
        }
      }),
    );
    const probeMs: number[] = [];
    let done = false;
    const probe = (async () => {
      for (let i = 0; !done; i++) {
        const t = performance.now();
        await request(base, 'POST', '/upload-receipt', {
          body: JSON.stringify({ filename: `probe-${i}.jpg`, content_type: 'image/jpeg' }),
          contentType: 'application/json',
          expect: 201,
        });
        if (!done) probeMs.push(performance.now() - t);
        await sleep(PROBE_EVERY_MS);
      }
    })();
    const pending = new Set(ids);
    const deadline = started + TIME_LIMIT_MS;
    while (pending.size > 0) {
      // Receipts finish roughly in upload order: ask about the oldest few unfinished ones.
      for (const id of [...pending].slice(0, workers + 1)) {
        if (await finished(base, id)) pending.delete(id);
      }
      if (pending.size > 0 && performance.now() > deadline)
        throw new Error(`P8: ${pending.size} receipts unfinished after ${TIME_LIMIT_MS / 1000} s`);
      if (pending.size > 0) await sleep(POLL_EVERY_MS);
    }
    const ms = performance.now() - started;
    done = true;
    await probe;
    child.kill('SIGUSR2');
    await stopChild(child);
    const eventLoop = await readFile(eldFile, 'utf8').then(
      (text) => JSON.parse(text) as ServeRun['eventLoop'],
      () => null,
    );
    return { receiptsPerMin: (images.length / ms) * 60_000, probeMs, directMs, seconds: ms / 1000, eventLoop };
  } finally {
    await stopChild(child);
    await rm(data, { recursive: true, force: true });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`receipts serve exited (${code ?? signal}) before listening:\n${stderr.slice(-2000)}`)),
    );
  });
}

async function request(
  base: string,
  method: string,
  path: string,
  options: { body?: string | Buffer; contentType?: string; expect: number },
): Promise<unknown> {
  const response = await fetch(new URL(path, base), {
    method,
    ...(options.body === undefined ? {} : { body: options.body }),
    headers: options.contentType ? { 'content-type': options.contentType } : {},
  });
  const text = await response.text();
  if (response.status !== options.expect)
    throw new Error(`${method} ${path}: ${response.status}, expected ${options.expect}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

async function upload(base: string, image: CorpusImage): Promise<{ imageId: string; ms: number }> {
  const started = performance.now();
  const answer = (await request(base, 'POST', `/upload-receipt?filename=${encodeURIComponent(image.filename)}`, {
    body: Buffer.from(image.bytes),
    contentType: inspectImage(image.bytes).contentType,
    expect: 201,
  })) as { image_id: string; duplicate?: boolean };
  if (answer.duplicate) throw new Error(`P8: ${image.filename} was taken for a duplicate upload`);
  return { imageId: answer.image_id, ms: performance.now() - started };
}

/**
 * True once the upload is finished end to end: every receipt compacted (a receipt whose merchant
 * was not found is compacted all the same, while its stage stays `receipts`), or the job failed.
 */
async function finished(base: string, imageId: string): Promise<boolean> {
  const status = (await request(base, 'GET', `/upload-status?image_id=${imageId}`, { expect: 200 })) as {
    stage: string;
    receipts: { compacted: boolean }[];
  };
  return status.stage === 'failed' || (status.receipts.length > 0 && status.receipts.every((r) => r.compacted));
}

async function untilFinished(base: string, imageId: string, deadline: number): Promise<void> {
  while (!(await finished(base, imageId))) {
    if (performance.now() > deadline) throw new Error(`P8: image ${imageId} did not finish within the time limit`);
    await sleep(POLL_EVERY_MS);
  }
}
