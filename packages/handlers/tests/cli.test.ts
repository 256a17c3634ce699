import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../src/cli/commands/status.js';
import { startServe } from '../src/cli/commands/serve.js';
import { run } from '../src/cli/main.js';
import { captureStderr } from './support/capture-stderr.js';

describe('receipts CLI', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits 2 with the usage for usage mistakes', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['serve', '--host', '0.0.0.0', '--port', '0'], /--token is required when binding 0\.0\.0\.0/],
      [['serve', '--port', 'eighty'], /--port must be a positive integer/],
      [['serve', '--owner', 'alice', '--port', '0'], /--owner names the owner of --token/],
      [['serve', '--token', 't', '--owner', 'al ice', '--port', '0'], /--owner must contain only/],
      [['serve', '--verbose'], /verbose/],
      [['status'], /status needs exactly one IMAGE_ID/],
      [['submit'], /submit needs at least one FILE/],
    ];
    for (const [argv, message] of cases) {
      const err = captureStderr();
      const code = await run(argv);
      err.restore();
      expect(code, argv.join(' ')).toBe(2);
      expect(err.text()).toMatch(message);
      expect(err.text()).toContain('usage: receipts <command>');
    }
  });

  it('refuses an invalid places catalog, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'receipts-cli-'));
    try {
      const catalog = join(dir, 'catalog.json');
      await writeFile(catalog, JSON.stringify([{ name: 'No Id Cafe' }]));
      const err = captureStderr();
      const code = await run(['serve', '--port', '0', '--data', join(dir, 'data'), '--places', catalog]);
      err.restore();
      expect(code).toBe(2);
      expect(err.text()).toMatch(
        new RegExp(`places catalog ${catalog.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid at \\[0\\.place_id\\]`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`receipts status` reads a running serve, with its token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'receipts-cli-'));
    const serve = await startServe(
      ['--port', '0', '--data', join(dir, 'data'), '--token', 'cli-token', '--log-format', 'json'],
      () => undefined,
    );
    try {
      const created = await fetch(`${serve.url}/upload-receipt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer cli-token' },
        body: JSON.stringify({ filename: 'x.png', content_type: 'image/png' }),
      });
      const { image_id } = (await created.json()) as { image_id: string };
      const out: string[] = [];
      expect(await statusCommand([image_id, '--url', serve.url, '--token', 'cli-token'], (l) => out.push(l))).toBe(0);
      expect(JSON.parse(out.join('\n'))).toMatchObject({ image_id, stage: 'awaiting_upload', job_status: 'PENDING' });
      await expect(statusCommand([image_id, '--url', serve.url], () => undefined)).rejects.toThrow(
        /HTTP 401: missing or invalid bearer token/,
      );
    } finally {
      await serve.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
