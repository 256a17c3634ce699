import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ReceiptflowError, type StreamedObject } from '@receiptflow/core';
import { errorResult, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';
import type { StaticResponse } from './console-site.js';

/** Bodies larger than this are refused; a declared length above it is refused before any byte is read. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/**
 * How long a refused request may keep sending its body (discarded) so the client can read the
 * answer. 5 s, as nginx's lingering_timeout: at 2 s a client on a busy machine sometimes had not
 * read the 413 yet when the cut-off reset discarded it (seen as EPIPE in serve-startup.test.ts).
 */
const LINGER_MS = 5_000;

/** What a presigned upload may write, decided from its URL and headers before its body is read. */
export interface PresignedUploadTicket {
  /** The most bytes this upload may carry. */
  maxBytes: number;
  /** Stores the body; throws a ReceiptflowError (its code picks the status) to refuse it. */
  commit(body: Uint8Array): Promise<void>;
}

export interface LocalHttpRoutes {
  /** The bearer-token check, from the `authorization` header alone (no body read yet). */
  authorize(authorization: string | undefined): boolean;
  /** API routes, given the same event shape API Gateway sends to the upload Lambda. */
  api(event: HttpApiEvent): Promise<HttpApiResult>;
  /**
   * `PUT /uploads/...`, the local stand-in for an S3 presigned upload: the signed URL is its own
   * credential. Throws a ReceiptflowError to refuse the upload before its body is read.
   */
  admitUpload(url: string, contentType: string, declaredBytes: number | null): Promise<PresignedUploadTicket>;
  /**
   * `GET /uploads/...`, the local stand-in for an S3 presigned GET (a receipt's image, an
   * export): the signed URL is its own credential. Throws a ReceiptflowError to refuse it
   * (PRESIGNED_URL_INVALID 403, NOT_FOUND 404).
   */
  openDownload?(url: string): Promise<StreamedObject>;
}

export interface LocalHttpServerOptions {
  /** The largest body any route reads, default {@link MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Seconds a client is told to wait while the server is starting. */
  retryAfterSeconds?: number;
  /**
   * The console's static files (`lazyConsoleSite`): asked first for every request, answered
   * without a token and also while the runtime is starting; null leaves the request to the API.
   */
  staticSite?: (method: string, pathname: string, ifNoneMatch: string | undefined) => Promise<StaticResponse | null>;
}

/** Status codes for the error codes the presigned-upload route can raise. */
const UPLOAD_STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  PRESIGNED_URL_INVALID: 403,
  PRESIGNED_URL_USED: 409,
  UPLOAD_CLOSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
};

/**
 * An HTTP server that turns node requests into API Gateway v2 events for the same handler.
 *
 * `routes()` returns null until the runtime is ready: every request then gets 503 with
 * `Retry-After`, so a client that arrives during a slow startup retries instead of crashing the
 * server. Everything a request can be refused for from its headers (not ready, no token, a bad
 * presigned URL, a declared length over the limit) is decided BEFORE its body is read, and the
 * refused body is discarded unbuffered, so unauthenticated uploads cost no memory.
 */
export function createLocalHttpServer(
  routes: () => LocalHttpRoutes | null,
  options: LocalHttpServerOptions = {},
): Server {
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      refuse(req, res, errorResult(500, 'INTERNAL', error instanceof Error ? error.message : String(error)));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.staticSite) {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      const answer = await options.staticSite(req.method ?? 'GET', pathname, headerValue(req.headers['if-none-match']));
      if (answer) {
        req.resume(); // a GET's body, if any, is not read
        res.writeHead(answer.statusCode, answer.headers);
        res.end(answer.body);
        return;
      }
    }
    const r = routes();
    if (!r) {
      const starting = errorResult(503, 'STARTING', 'the server is starting; retry shortly');
      return refuse(req, res, { ...starting, headers: { ...starting.headers, 'retry-after': retryAfter } });
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const declared = declaredLength(req);

    if (req.method === 'PUT' && url.pathname.startsWith('/uploads/')) {
      let ticket: PresignedUploadTicket;
      try {
        ticket = await r.admitUpload(url.toString(), String(req.headers['content-type'] ?? ''), declared);
      } catch (error) {
        return refuse(req, res, uploadError(error));
      }
      const limit = Math.min(maxBody, ticket.maxBytes);
      if (declared !== null && declared > limit) return refuse(req, res, tooLarge(declared, limit));
      const body = await readBody(req, limit);
      if (body === null) return refuse(req, res, tooLarge(null, limit));
      try {
        await ticket.commit(body);
      } catch (error) {
        return send(res, uploadError(error));
      }
      return send(res, { statusCode: 200, body: '' });
    }

    if (req.method === 'GET' && url.pathname.startsWith('/uploads/') && r.openDownload) {
      let object: StreamedObject;
      try {
        object = await r.openDownload(url.toString());
      } catch (error) {
        return send(res, uploadError(error));
      }
      res.writeHead(200, {
        'content-type': object.contentType ?? 'application/octet-stream',
        'content-length': String(object.size),
        'cache-control': 'private, no-store',
      });
      for await (const chunk of object.body) {
        // Waits for the socket when the client reads slower than the store: memory stays flat.
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
      return;
    }

    if (!r.authorize(headerValue(req.headers.authorization))) {
      return refuse(req, res, errorResult(401, 'UNAUTHORIZED', 'missing or invalid bearer token'));
    }
    if (declared !== null && declared > maxBody) return refuse(req, res, tooLarge(declared, maxBody));
    const body = await readBody(req, maxBody);
    if (body === null) return refuse(req, res, tooLarge(null, maxBody));

    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(',') : value;
    }
    const event: HttpApiEvent = {
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      queryStringParameters: Object.fromEntries(url.searchParams),
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: req.method ?? 'GET', path: url.pathname } },
    };
    const result = await r.api(event);
    if (result.bodyStream) return sendStream(res, result, result.bodyStream);
    send(res, result);
  }
}

/**
 * A streamed answer (`GET /export`): the head at once, then each chunk as the source yields it,
 * waiting for the socket when the client reads slower than the source (so memory holds about
 * one chunk, whatever the export's size). A source that fails midway cannot change a 200 already
 * sent: the connection is destroyed, so the client sees a truncated chunked body (an error),
 * never a short file that looks complete. A client that goes away stops the source.
 */
async function sendStream(res: ServerResponse, result: HttpApiResult, body: AsyncIterable<string>): Promise<void> {
  res.writeHead(result.statusCode, { ...result.headers });
  res.flushHeaders();
  try {
    for await (const chunk of body) {
      if (res.destroyed) break; // the client left: `break` ends the source's iteration too
      if (!res.write(chunk)) await drained(res);
    }
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  res.end();
}

/** Resolves once the socket takes more (or is gone, so a vanished client does not hang the source). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The declared Content-Length, or null for a chunked (or bodiless) request. */
function declaredLength(req: IncomingMessage): number | null {
  const raw = req.headers['content-length'];
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** The whole body, or null as soon as it passes `limit` bytes (the rest is then discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Answers a request whose body will not be read, then closes the connection. The body still in
 * flight is read and thrown away (never buffered) for a short while, so the client can read the
 * answer instead of seeing a reset; a client that keeps sending past that is cut off.
 */
function refuse(req: IncomingMessage, res: ServerResponse, result: HttpApiResult): void {
  if (!req.complete) {
    res.shouldKeepAlive = false;
    req.on('data', () => undefined);
    req.resume();
    res.once('finish', () => {
      // A socket timer of the HTTP server (let the client read the answer, then cut the upload),
      // not domain time: it runs on the event loop whatever clock the pipeline uses.
      setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    });
  }
  send(res, { ...result, headers: { ...result.headers, connection: 'close' } });
}

function uploadError(error: unknown): HttpApiResult {
  if (error instanceof ReceiptflowError && UPLOAD_STATUS_BY_CODE[error.code]) {
    return errorResult(UPLOAD_STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
  }
  return errorResult(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
}

function tooLarge(declared: number | null, limit: number): HttpApiResult {
  const what = declared === null ? 'body' : `body of ${declared} bytes`;
  return errorResult(413, 'PAYLOAD_TOO_LARGE', `${what} exceeds the limit of ${limit} bytes`);
}

function send(res: ServerResponse, result: HttpApiResult): void {
  if (res.headersSent) return;
  res.writeHead(result.statusCode, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(result.body)),
    ...result.headers,
  });
  res.end(result.body);
}
