import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpApiEvent, HttpApiResult } from '../http/api-gateway.js';

/** Bodies larger than this are refused before they are buffered. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface LocalHttpRoutes {
  /** API routes, given the same event shape API Gateway sends to the upload Lambda. */
  api(event: HttpApiEvent): Promise<HttpApiResult>;
  /** `PUT /uploads/...`: the local stand-in for S3 presigned URLs. */
  presignedPut(url: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** An HTTP server that turns node requests into API Gateway v2 events for the same handler. */
export function createLocalHttpServer(routes: () => LocalHttpRoutes): Server {
  return createServer((req, res) => {
    handle(req, res, routes()).catch((error: unknown) => {
      send(res, { statusCode: 500, body: JSON.stringify({ error: { code: 'INTERNAL', message: String(error) } }) });
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: LocalHttpRoutes): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    return send(res, tooLarge(declared));
  }
  const body = await readBody(req);
  if (body === null) return send(res, tooLarge(MAX_BODY_BYTES + 1));

  if (req.method === 'PUT' && url.pathname.startsWith('/uploads/')) {
    try {
      await routes.presignedPut(url.toString(), body, String(req.headers['content-type'] ?? ''));
      return send(res, { statusCode: 200, body: '' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return send(res, { statusCode: 403, body: JSON.stringify({ error: { code: 'PRESIGNED_PUT_REFUSED', message } }) });
    }
  }

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
  send(res, await routes.api(event));
}

function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function tooLarge(bytes: number): HttpApiResult {
  return {
    statusCode: 413,
    body: JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: `body of ${bytes} bytes exceeds ${MAX_BODY_BYTES}` } }),
  };
}

function send(res: ServerResponse, result: HttpApiResult): void {
  if (res.headersSent) return;
  res.writeHead(result.statusCode, { 'content-type': 'application/json', ...result.headers });
  res.end(result.body);
}
