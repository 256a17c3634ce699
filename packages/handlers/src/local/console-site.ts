import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

/**
 * The console's Content-Security-Policy: everything from this origin only, no inline script or
 * style (the build has none: Vite emits files, the views set styles through the CSSOM), no
 * plugins, no framing, no `<base>` tricks. The receipt images are presigned URLs of the same
 * server (`/uploads/...`), hence `img-src 'self'`.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** A static answer: binary body, its own headers. */
export interface StaticResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Empty for HEAD and 304. */
  body: Uint8Array;
}

interface SiteFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * The console's built files, held in memory (about 50 KB) and answered with their content type,
 * a strong `ETag` (SHA-256 of the bytes; `If-None-Match` → 304), and the security headers.
 * Vite names every file under `assets/` by its content hash, so those are cached for a year;
 * `index.html` is revalidated on every load (`no-cache`), so a new build shows at once.
 *
 * Only `GET`/`HEAD` of `/`, the files at the build's top level and `/assets/...` are the
 * console's; every other request is left to the API (`respond` answers null), so no console
 * path can shadow a route.
 */
export class ConsoleSite {
  private constructor(private readonly files: ReadonlyMap<string, SiteFile>) {}

  /**
   * @example
   * const site = await ConsoleSite.load(await ensureConsoleBuilt());
   * site.respond('GET', '/', undefined); // { statusCode: 200, headers: { etag, content-security-policy, ... }, body }
   */
  static async load(dir: string): Promise<ConsoleSite> {
    const files = new Map<string, SiteFile>();
    for (const path of await listFiles(dir)) {
      const body = await readFile(path);
      const name = `/${relative(dir, path).split(sep).join('/')}`;
      files.set(name, {
        body,
        contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        cacheControl: name.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    if (!files.has('/index.html')) throw new Error(`no index.html in the console build ${dir}`);
    return new ConsoleSite(files);
  }

  /** Whether a request is the console's to answer (before the site is loaded). */
  static claims(method: string, pathname: string): boolean {
    if (method !== 'GET' && method !== 'HEAD') return false;
    return (
      pathname === '/' || pathname.startsWith('/assets/') || /^\/[\w-]+\.(html|svg|ico|png|txt|json)$/.test(pathname)
    );
  }

  respond(method: string, pathname: string, ifNoneMatch: string | undefined): StaticResponse | null {
    if (!ConsoleSite.claims(method, pathname)) return null;
    const file = this.files.get(pathname === '/' ? '/index.html' : pathname);
    if (!file) {
      // An unknown top-level name is left to the API (its 404 is JSON); a missing asset is ours.
      if (!pathname.startsWith('/assets/')) return null;
      return text(404, 'not found');
    }
    const headers = {
      ...SECURITY_HEADERS,
      etag: file.etag,
      'cache-control': file.cacheControl,
      'content-type': file.contentType,
    };
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, file.etag)) {
      return { statusCode: 304, headers, body: new Uint8Array() };
    }
    return {
      statusCode: 200,
      headers: { ...headers, 'content-length': String(file.body.length) },
      body: method === 'HEAD' ? new Uint8Array() : file.body,
    };
  }
}

/** If-None-Match: `*`, or a list of tags, weak ones (`W/"…"`) compared by their opaque part. */
function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/** A plain-text answer (a missing asset, a console that could not be built), with the same headers. */
export function text(statusCode: number, message: string): StaticResponse {
  const body = Buffer.from(`${message}\n`);
  return {
    statusCode,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(body.length),
      'cache-control': 'no-store',
    },
    body,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if ((await stat(path)).isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out;
}

/**
 * The console for the local server: loaded on the first request that is the console's (`load`
 * builds it first when needed, a few seconds), then answered from memory. A build that failed
 * is answered 500 with its reason and tried again on the next request.
 *
 * @example
 * const site = lazyConsoleSite(() => ensureConsoleBuilt());
 * await site('GET', '/', undefined); // the console's index.html
 * await site('GET', '/receipts', undefined); // null: the API's
 */
export function lazyConsoleSite(load: () => Promise<string>, onError: (error: unknown) => void = () => undefined) {
  let site: Promise<ConsoleSite> | null = null;
  return async (method: string, pathname: string, ifNoneMatch: string | undefined): Promise<StaticResponse | null> => {
    if (!ConsoleSite.claims(method, pathname)) return null;
    site ??= load().then((dir) => ConsoleSite.load(dir));
    try {
      return (await site).respond(method, pathname, ifNoneMatch);
    } catch (error) {
      site = null;
      onError(error);
      return text(500, `the console is not available: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
