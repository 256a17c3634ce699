import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { inspectImage, type PresignedUpload, UsageError } from '@receiptflow/core';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { parseFlags, positiveInt, type Print } from '../args.js';
import { sendPresignedUpload, UploadApiClient } from '../http-client.js';

const DIRECT_LIMIT = 5 * 1024 * 1024;
const DONE = new Set(['compacted']);

interface Status {
  stage: string;
  job_status: string | null;
  failure_reason: string | null;
  receipts: { merchant_name: string | null; place_id: string | null; source: string | null }[];
}

/**
 * `receipts submit FILE... [--url URL] [--token T] [--no-wait] [--timeout SECONDS]`: uploads each
 * file (directly, or through a presigned URL above 5 MB) and waits until every one is compacted
 * or failed, with a progress bar on stderr.
 */
export async function submitCommand(argv: string[], out: Print, err: Print): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      url: { type: 'string', default: 'http://127.0.0.1:8787' },
      token: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      timeout: { type: 'string' },
    },
    true,
  );
  if (positionals.length === 0) throw new UsageError('submit needs at least one FILE');
  const client = new UploadApiClient(values.url, values.token);
  const submitted: { file: string; image_id: string }[] = [];
  for (const file of positionals) {
    const bytes = await readFile(file).catch(() => {
      throw new UsageError(`cannot read ${file}`);
    });
    const { contentType } = inspectImage(bytes);
    const filename = basename(file);
    let imageId: string;
    if (bytes.length <= DIRECT_LIMIT) {
      const res = (await client.request(
        'POST',
        `/upload-receipt?filename=${encodeURIComponent(filename)}`,
        bytes,
        contentType,
      )) as { image_id: string };
      imageId = res.image_id;
    } else {
      const res = (await client.request(
        'POST',
        '/upload-receipt',
        JSON.stringify({ filename, content_type: contentType, size_bytes: bytes.length }),
        'application/json',
      )) as {
        image_id: string;
        upload: PresignedUpload;
      };
      await sendPresignedUpload(res.upload, bytes, file);
      await client.request('POST', '/upload-complete', JSON.stringify({ image_id: res.image_id }), 'application/json');
      imageId = res.image_id;
    }
    submitted.push({ file, image_id: imageId });
    err(`submitted ${file} as ${imageId}`);
  }
  if (values['no-wait']) {
    for (const s of submitted) out(JSON.stringify(s));
    return 0;
  }

  const clock = new SystemClock();
  const deadline = clock.now() + positiveInt(values.timeout, '--timeout', 600) * 1000;
  const final = new Map<string, Status>();
  while (final.size < submitted.length && clock.now() < deadline) {
    for (const s of submitted) {
      if (final.has(s.image_id)) continue;
      const status = (await client.request(
        'GET',
        `/upload-status?image_id=${encodeURIComponent(s.image_id)}`,
      )) as Status;
      if (DONE.has(status.stage) || status.job_status === 'FAILED') final.set(s.image_id, status);
    }
    err(progressBar(final.size, submitted.length));
    if (final.size < submitted.length) await clock.sleep(500);
  }
  let failures = 0;
  for (const s of submitted) {
    const status = final.get(s.image_id);
    const receipt = status?.receipts[0];
    if (!status || status.job_status === 'FAILED') failures++;
    out(
      JSON.stringify({
        file: s.file,
        image_id: s.image_id,
        stage: status?.stage ?? 'timed_out',
        merchant_name: receipt?.merchant_name ?? null,
        place_id: receipt?.place_id ?? null,
        source: receipt?.source ?? null,
        failure_reason: status?.failure_reason ?? null,
      }),
    );
  }
  return failures === 0 ? 0 : 1;
}

function progressBar(done: number, total: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} done`;
}
