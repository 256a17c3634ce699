import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReceipt, syntheticCatalog, type DemoReceipt } from '@receiptflow/adapters-local/synthetic';
import { receiptPdf } from '@receiptflow/devkit/pdf-fixtures';

/** The `receipts` CLI as users run it (`receipts serve`): a child process, real HTTP, real OCR. */
const BIN = fileURLToPath(new URL('../../node_modules/@receiptflow/handlers/bin/receipts.js', import.meta.url));

export interface ConsoleServer {
  url: string;
  token: string;
  /** Calls the API as the token's owner (what the test compares the page against). */
  api<T = unknown>(
    method: string,
    path: string,
    body?: Uint8Array | object,
    contentType?: string,
  ): Promise<ApiAnswer<T>>;
  stderr(): string;
  stop(): Promise<void>;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/**
 * `receipts serve --token T --places <synthetic catalog>` on a free port with a fresh data
 * folder, as a child process. The console is built (or the current build found) by the server
 * itself, as on a fresh clone.
 */
export async function startConsoleServer(
  options: { token?: string; extraArgs?: string[] } = {},
): Promise<ConsoleServer> {
  const work = await mkdtemp(join(tmpdir(), 'console-e2e-'));
  const catalog = join(work, 'catalog.json');
  await writeFile(catalog, JSON.stringify(syntheticCatalog()));
  const token = options.token ?? `console-test-${process.pid}`;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--data',
      join(work, 'data'),
      '--token',
      token,
      '--places',
      catalog,
      '--log-format',
      'json',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receipts serve did not start in 120 s:\n${stderr}`)), 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`receipts serve exited before listening:\n${stderr}`));
    });
  });

  return {
    url,
    token,
    stderr: () => stderr,
    async api<T>(method: string, path: string, body?: Uint8Array | object, contentType?: string) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      let payload: RequestInit['body'];
      if (body instanceof Uint8Array) {
        payload = body;
        headers['content-type'] = contentType ?? 'application/octet-stream';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(new URL(path, url), {
        method,
        headers,
        redirect: 'manual',
        ...(payload ? { body: payload } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as T };
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** Polls `GET /upload-status` until the image is compacted or failed (or `ms` pass). */
export async function waitForStage(
  server: ConsoleServer,
  imageId: string,
  ms = 120_000,
): Promise<{ stage: string; failure_reason: string | null }> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await server.api<{ stage: string; failure_reason: string | null }>(
      'GET',
      `/upload-status?image_id=${imageId}`,
    );
    if (res.status === 200 && (res.body.stage === 'compacted' || res.body.stage === 'failed')) return res.body;
    if (Date.now() > until) throw new Error(`image ${imageId} not done in ${ms} ms: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Uploads a synthetic receipt through the API (`POST /upload-receipt`) and answers its image_id. */
export async function uploadSynthetic(server: ConsoleServer, receipt: DemoReceipt): Promise<string> {
  const { png } = await renderReceipt(receipt.spec);
  const res = await server.api<{ image_id: string }>(
    'POST',
    `/upload-receipt?filename=${receipt.id}.png`,
    png,
    'image/png',
  );
  if (res.status !== 201)
    throw new Error(`upload of ${receipt.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.image_id;
}

/**
 * Uploads synthetic receipts as one PDF with a text layer, a receipt a page (at most 10), through
 * the API: read natively, with no OCR, so a test can seed many receipts in seconds. Answers the
 * image_id; the receipts are `receipt_id` 1..n in the order given.
 */
export async function uploadSyntheticPdf(
  server: ConsoleServer,
  receipts: DemoReceipt[],
  name: string,
): Promise<string> {
  const pdf = await receiptPdf(receipts.map((r) => ({ spec: r.spec, kind: 'text' as const })));
  const res = await server.api<{ image_id: string }>(
    'POST',
    `/upload-receipt?filename=${name}.pdf`,
    pdf,
    'application/pdf',
  );
  if (res.status !== 201) throw new Error(`upload of ${name}.pdf answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.image_id;
}
