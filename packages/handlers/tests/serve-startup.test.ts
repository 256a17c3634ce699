import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';
import { ServeStartupError } from '../src/errors.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { rawExchange, writeChunked } from './support/raw-http.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'receipts.js');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'receipts-startup-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Starts serve and resolves the port as soon as it is printed (before startup finishes). */
function startWithPort(argv: string[]): { port: Promise<number>; started: Promise<ServeHandle> } {
  let announce: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (announce = resolve));
  const started = startServe(['--port', '0', '--log-format', 'json', ...argv], (line) => {
    const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (match) announce(Number(match[1]));
  });
  return { port, started };
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('receipts serve: startup', () => {
  it('answers every route with 503 + Retry-After while starting, and survives to serve afterwards', async () => {
    const open = LocalRuntime.open.bind(LocalRuntime);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    vi.spyOn(LocalRuntime, 'open').mockImplementation(async (options) => {
      await gate; // a slow start: the index being rebuilt from a long log
      return open(options);
    });
    const { port, started } = startWithPort(['--data', join(work, 'slow')]);
    const base = `http://127.0.0.1:${await port}`;

    const status = await fetch(`${base}/upload-status?image_id=x`);
    expect(status.status).toBe(503);
    expect(status.headers.get('retry-after')).toBe('1');
    expect(((await status.json()) as { error: { code: string } }).error.code).toBe('STARTING');
    const upload = await fetch(`${base}/upload-receipt?filename=a.png`, {
      method: 'POST',
      body: new Uint8Array(4096),
      headers: { 'content-type': 'image/png' },
    });
    expect(upload.status).toBe(503);
    const put = await fetch(`${base}/uploads/raw/raw/x/a.png`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(503);

    release();
    const serve = await started;
    try {
      const after = await fetch(`${base}/upload-status?image_id=unknown`);
      expect(after.status).toBe(404);
    } finally {
      await serve.stop();
    }
  });

  it('a fatal startup error rejects with the data directory and cause, and closes the port', async () => {
    const data = join(work, 'corrupt-journal');
    await mkdir(join(data, 'jobs'), { recursive: true });
    await writeFile(
      join(data, 'jobs', 'job-table.jsonl'),
      '{"v":1,"changes":[]}\nthis is not a journal line\n{"v":1,"changes":[]}\n',
    );
    const { port, started } = startWithPort(['--data', data]);
    const bound = await port;
    await expect(started).rejects.toBeInstanceOf(ServeStartupError);
    await expect(started).rejects.toThrow(new RegExp(`could not start on data directory ${data}: .*job-table`));
    expect(await portIsClosed(bound)).toBe(true);
  });

  it(
    '`receipts serve` on an unusable data directory exits non-zero with the message',
    { timeout: 30_000 },
    async () => {
      // `jobs` is a file where a directory must be: fatal whatever the journal format is.
      const data = join(work, 'jobs-is-a-file');
      await mkdir(data, { recursive: true });
      await writeFile(join(data, 'jobs'), 'not a directory');
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 20_000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(code, `still running after 20 s; stderr: ${stderr}`).toBe(1);
      expect(stderr).toContain(`receipts: receipts serve could not start on data directory ${data}`);
      expect(stderr).toContain('[SERVE_STARTUP_FAILED]');
    },
  );
});

describe('receipts serve: bodies are read only after the checks that need no body', () => {
  let serve: ServeHandle;
  let port: number;
  beforeAll(async () => {
    serve = await startServe(
      ['--port', '0', '--data', join(work, 'auth'), '--token', 'secret-token', '--log-format', 'json'],
      () => undefined,
    );
    port = Number(new URL(serve.url).port);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('an unauthenticated 24 MiB POST gets its 401 from the headers alone, before any body byte is sent', async () => {
    const head = `POST /upload-receipt?filename=a.png HTTP/1.1\nHost: 127.0.0.1\nContent-Type: image/png\nContent-Length: ${24 * 1024 * 1024}\n`;
    const res = await rawExchange(port, head); // sends no body at all
    expect(res.status).toBe(401);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('a wrong token is refused the same way, also for a chunked body', async () => {
    const head =
      'POST /upload-receipt HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer wrong\nContent-Type: image/png\nTransfer-Encoding: chunked\n';
    const res = await rawExchange(port, head);
    expect(res.status).toBe(401);
  });

  it('a declared length over the limit gets 413 before the body is sent', async () => {
    const head = `POST /upload-receipt HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer secret-token\nContent-Type: image/png\nContent-Length: ${26 * 1024 * 1024}\n`;
    const res = await rawExchange(port, head);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('a chunked body that grows past the limit gets a 413 the client can read, not a reset', async () => {
    const head =
      'POST /upload-receipt HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer secret-token\nContent-Type: image/png\nTransfer-Encoding: chunked\n';
    const progress = { sent: 0 };
    const res = await rawExchange(port, head, (socket, answered) =>
      writeChunked(socket, answered, 40 * 1024 * 1024, progress),
    );
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(`${25 * 1024 * 1024} bytes`) },
    });
    expect(progress.sent).toBeGreaterThan(25 * 1024 * 1024);
    // The server is still serving after that.
    expect(
      (await fetch(`${serve.url}/upload-status?image_id=x`, { headers: { authorization: 'Bearer secret-token' } }))
        .status,
    ).toBe(404);
  });
});
