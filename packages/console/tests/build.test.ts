import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOtherBuilds } from '../node/build.js';
import { consoleSourceHash, ensureConsoleBuilt } from '../node/index.js';

describe('the console build', () => {
  it('has no inline script, style or event handler, so the strict CSP holds', { timeout: 120_000 }, async () => {
    const dir = await ensureConsoleBuilt();
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\.\/assets\/[\w.-]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\sstyle=|<style\b|\son[a-z]+=/i);
    // No eval-like code either (the CSP has no 'unsafe-eval').
    const assets = await readdir(join(dir, 'assets'));
    for (const name of assets.filter((n) => n.endsWith('.js'))) {
      const js = await readFile(join(dir, 'assets', name), 'utf8');
      expect(js).not.toMatch(/\bnew Function\(|\beval\(/);
    }
    // The same sources give the same folder: a second call reuses the build.
    expect(await ensureConsoleBuilt()).toBe(dir);
  });

  it('is named by the hash of its sources: a changed source is a new build, equal sources the same', async () => {
    const root = await mkdtemp(join(tmpdir(), 'console-hash-'));
    try {
      await mkdir(join(root, 'src'));
      await writeFile(join(root, 'index.html'), '<!doctype html>');
      await writeFile(join(root, 'package.json'), '{"dependencies":{"preact":"11.2.0"}}');
      await writeFile(join(root, 'src', 'app.tsx'), 'export const a = 1;');
      const first = await consoleSourceHash(root);
      expect(first).toMatch(/^[0-9a-f]{16}$/);
      expect(await consoleSourceHash(root)).toBe(first);
      await writeFile(join(root, 'src', 'app.tsx'), 'export const a = 2;');
      const edited = await consoleSourceHash(root);
      expect(edited).not.toBe(first);
      await writeFile(join(root, 'package.json'), '{"dependencies":{"preact":"11.2.1"}}');
      expect(await consoleSourceHash(root)).not.toBe(edited);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('clears older builds and the half builds of exited processes, never a build in progress', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'console-dist-'));
    try {
      const gone = spawnSync(process.execPath, ['-e', '']).pid; // a process that has exited
      const entries = ['aaaa', 'bbbb', `.tmp-${process.pid}-live`, `.tmp-${gone}-dead`];
      for (const entry of entries) await mkdir(join(dist, entry, 'assets'), { recursive: true });
      await removeOtherBuilds(dist, 'aaaa');
      expect((await readdir(dist)).sort()).toEqual([`.tmp-${process.pid}-live`, 'aaaa']);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });
});
