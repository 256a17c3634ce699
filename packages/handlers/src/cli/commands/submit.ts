import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { inspectImage, type PresignedUpload, UsageError } from '@receiptflow/core';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { parseFlags, positiveInt, type Print } from '../args.js';
import { sendPresignedUpload, UploadApiClient } from '../http-client.js';
import { API_FLAGS } from '../receipts-api.js';
import { ProgressBar } from '../progress-bar.js';

const DIRECT_LIMIT = 5 * 1024 * 1024;
/** The largest upload the API takes (a presigned one); a bigger file in a folder is skipped unread. */
const MAX_UPLOAD = 25 * 1024 * 1024;
const DONE = new Set(['compacted']);

interface Status {
  stage: string;
  job_status: string | null;
  failure_reason: string | null;
  receipts: { merchant_name: string | null; place_id: string | null; source: string | null }[];
}

interface Submitted {
  file: string;
  image_id: string;
  /** The server already had these bytes (same owner): nothing new was queued. */
  duplicate: boolean;
}

/**
 * `receipts submit FILE|DIR... [--url URL] [--token T] [--no-wait] [--timeout SECONDS]`: uploads
 * each file, and every image in each folder and its subfolders (in name order; hidden entries
 * and files that are not images are skipped and named on stderr), directly or through a
 * presigned URL above 5 MB. An upload the server answers `duplicate: true` (the same bytes were
 * uploaded before) is not waited for. Then it waits until every new one is compacted or failed.
 * One progress bar on stderr; one JSON line per file on stdout.
 */
export async function submitCommand(
  argv: string[],
  out: Print,
  err: Print,
  bar: ProgressBar = ProgressBar.forStderr(),
): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...API_FLAGS,
      'no-wait': { type: 'boolean', default: false },
      timeout: { type: 'string' },
    },
    true,
  );
  if (positionals.length === 0) throw new UsageError('submit needs at least one FILE or DIR');
  const timeoutMs = positiveInt(values.timeout, '--timeout', 600) * 1000;
  const files: { path: string; fromDir: boolean }[] = [];
  for (const arg of positionals) {
    const info = await stat(arg).catch(() => {
      throw new UsageError(`cannot read ${arg}`);
    });
    if (info.isDirectory()) files.push(...(await imagesUnder(arg)).map((path) => ({ path, fromDir: true })));
    else files.push({ path: arg, fromDir: false });
  }
  if (files.length === 0) throw new UsageError(`no files to submit in ${positionals.join(', ')}`);

  const client = new UploadApiClient(values.url, values.token);
  const submitted: Submitted[] = [];
  let skipped = 0;
  const counts = () => ({
    total: files.length - skipped,
    uploaded: submitted.length,
    duplicates: submitted.filter((s) => s.duplicate).length,
  });
  for (const { path, fromDir } of files) {
    const bytes = fromDir ? await readImage(path, (reason) => err(`skipped ${path}: ${reason}`)) : await readOne(path);
    if (!bytes) {
      skipped++;
      continue;
    }
    submitted.push({ file: path, ...(await upload(client, path, bytes)) });
    bar.update({ ...counts(), done: submitted.filter((s) => s.duplicate).length, failed: 0 });
  }
  if (values['no-wait']) {
    bar.finish();
    for (const s of submitted) out(JSON.stringify({ file: s.file, image_id: s.image_id, duplicate: s.duplicate }));
    return 0;
  }

  const clock = new SystemClock();
  const deadline = clock.now() + timeoutMs;
  const final = new Map<Submitted, Status>();
  // A duplicate is read once (it may still be in flight from its first upload), never waited for.
  for (const s of submitted.filter((x) => x.duplicate)) final.set(s, await status(client, s.image_id));
  const settled = () => final.size;
  const failed = () => [...final.values()].filter((st) => st.job_status === 'FAILED').length;
  while (settled() < submitted.length && clock.now() < deadline) {
    for (const s of submitted) {
      if (final.has(s)) continue;
      const st = await status(client, s.image_id);
      if (DONE.has(st.stage) || st.job_status === 'FAILED') final.set(s, st);
    }
    bar.update({ ...counts(), done: settled(), failed: failed() });
    if (settled() < submitted.length) await clock.sleep(500);
  }
  bar.finish();
  let failures = 0;
  for (const s of submitted) {
    const st = final.get(s);
    const receipt = st?.receipts[0];
    if (!st || st.job_status === 'FAILED') failures++;
    out(
      JSON.stringify({
        file: s.file,
        image_id: s.image_id,
        ...(s.duplicate ? { duplicate: true } : {}),
        stage: st?.stage ?? 'timed_out',
        merchant_name: receipt?.merchant_name ?? null,
        place_id: receipt?.place_id ?? null,
        source: receipt?.source ?? null,
        failure_reason: st?.failure_reason ?? null,
      }),
    );
  }
  if (skipped > 0) err(`skipped ${skipped} file(s) that are not images`);
  return failures === 0 ? 0 : 1;
}

/** Every file under `dir`, recursively, in name order; hidden files and folders are left out. */
async function imagesUnder(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await imagesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** A file named on the command line: anything wrong with it stops the command. */
async function readOne(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path).catch(() => {
    throw new UsageError(`cannot read ${path}`);
  });
  inspectImage(bytes);
  return bytes;
}

/** A file found in a folder: one that is not a usable image is skipped (null), saying why. */
async function readImage(path: string, skip: (reason: string) => void): Promise<Uint8Array | null> {
  const size = (await stat(path)).size;
  if (size > MAX_UPLOAD) {
    skip(`${size} bytes, above the ${MAX_UPLOAD}-byte upload limit`);
    return null;
  }
  const bytes = await readFile(path);
  try {
    inspectImage(bytes);
    return bytes;
  } catch (error) {
    skip(error instanceof Error ? error.message : String(error));
    return null;
  }
}

async function upload(
  client: UploadApiClient,
  path: string,
  bytes: Uint8Array,
): Promise<{ image_id: string; duplicate: boolean }> {
  const { contentType } = inspectImage(bytes);
  const filename = basename(path);
  if (bytes.length <= DIRECT_LIMIT) {
    const res = (await client.request(
      'POST',
      `/upload-receipt?filename=${encodeURIComponent(filename)}`,
      bytes,
      contentType,
    )) as { image_id: string; duplicate?: boolean };
    return { image_id: res.image_id, duplicate: res.duplicate === true };
  }
  const res = (await client.request(
    'POST',
    '/upload-receipt',
    JSON.stringify({ filename, content_type: contentType, size_bytes: bytes.length }),
    'application/json',
  )) as { image_id: string; upload: PresignedUpload };
  await sendPresignedUpload(res.upload, bytes, path);
  // A presigned upload's bytes are only known to the server once sent: it answers a duplicate here.
  const done = (await client.request(
    'POST',
    '/upload-complete',
    JSON.stringify({ image_id: res.image_id }),
    'application/json',
  )) as { image_id?: string; duplicate?: boolean } | null;
  return done?.duplicate === true && done.image_id
    ? { image_id: done.image_id, duplicate: true }
    : { image_id: res.image_id, duplicate: false };
}

async function status(client: UploadApiClient, imageId: string): Promise<Status> {
  return (await client.request('GET', `/upload-status?image_id=${encodeURIComponent(imageId)}`)) as Status;
}
