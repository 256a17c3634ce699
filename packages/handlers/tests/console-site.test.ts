import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, lazyConsoleSite } from '../src/local/console-site.js';
import { createLocalHttpServer, type LocalHttpRoutes } from '../src/local/http-server.js';

// The console's static files on the local server (issue 16): content types, ETag and 304, the
// Content-Security-Policy, no token needed, and the API exactly as before beside them.

let dir: string;
let server: Server;
let base: string;
let ready = true;

const routes: LocalHttpRoutes = {
  authorize: (authorization) => authorization === 'Bearer t',
  api: async (event) => ({ statusCode: 200, body: JSON.stringify({ route: event.rawPath }) }),
  admitUpload: async () => {
    throw new Error('not used');
  },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-site-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><script type="module" src="./assets/index-abc.js"></script>',
  );
  await writeFile(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(dir, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  const site = lazyConsoleSite(async () => dir);
  server = createLocalHttpServer(() => (ready ? routes : null), { staticSite: site });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('the console on the local server', () => {
  it('GET / is the index page without a token: html, strong ETag, no-cache, and a CSP without inline script', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{20,}"$/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy');
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(await res.text()).toContain('./assets/index-abc.js');
    // /index.html is the same file.
    expect((await fetch(`${base}/index.html`)).headers.get('etag')).toBe(res.headers.get('etag'));
  });

  it('If-None-Match with the ETag answers 304 without a body; another tag gets the file', async () => {
    const etag = (await fetch(`${base}/`)).headers.get('etag')!;
    const same = await fetch(`${base}/`, { headers: { 'if-none-match': `W/"other", ${etag}` } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    const other = await fetch(`${base}/`, { headers: { 'if-none-match': '"other"' } });
    expect(other.status).toBe(200);
  });

  it('assets carry their content type and are cached for good (their names carry their hash)', async () => {
    const js = await fetch(`${base}/assets/index-abc.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    expect((await fetch(`${base}/assets/index-abc.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it('HEAD answers the headers only', async () => {
    const res = await fetch(`${base}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).not.toBe('0');
    expect(await res.text()).toBe('');
  });

  it('the API is unaffected: its routes still need the token, and POST / is the API’s', async () => {
    const noToken = await fetch(`${base}/receipts/img/1`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('content-security-policy')).toBeNull();
    const withToken = await fetch(`${base}/receipts?limit=1`, { headers: { authorization: 'Bearer t' } });
    expect(await withToken.json()).toEqual({ route: '/receipts' });
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(401);
    // An unknown top-level file name is left to the API too (a JSON 401/404, not the console's).
    expect((await fetch(`${base}/robots.txt`)).status).toBe(401);
  });

  it('the console is served while the runtime is still starting (the API answers 503)', async () => {
    ready = false;
    try {
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/receipts`, { headers: { authorization: 'Bearer t' } })).status).toBe(503);
    } finally {
      ready = true;
    }
  });
});

describe('a console that could not be built', () => {
  it('answers 500 with the reason, then tries the build again on the next request', async () => {
    let attempts = 0;
    const site = lazyConsoleSite(async () => {
      attempts++;
      if (attempts === 1) throw new Error('vite failed: src/app.tsx: unexpected token');
      return dir;
    });
    const failed = await site('GET', '/', undefined);
    expect(failed?.statusCode).toBe(500);
    expect(Buffer.from(failed!.body).toString()).toContain('vite failed: src/app.tsx');
    expect(failed?.headers['content-type']).toBe('text/plain; charset=utf-8');
    const fixed = await site('GET', '/', undefined);
    expect(fixed?.statusCode).toBe(200);
    await site('GET', '/favicon.svg', undefined);
    expect(attempts).toBe(2); // loaded once it succeeded, then kept
  });
});
