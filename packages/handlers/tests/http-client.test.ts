import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PresignedUpload } from '@receiptflow/core';
import { afterEach, describe, expect, it } from 'vitest';
import { sendPresignedUpload, UploadApiClient } from '../src/cli/http-client.js';
import { HttpRequestFailedError, ServerUnreachableError } from '../src/errors.js';

/** A loopback server that answers every request with `status` and `body`. */
async function answering(status: number, body: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('receipts CLI http client: named errors', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('a server that is not listening → ServerUnreachableError (SERVER_UNREACHABLE) naming the URL', async () => {
    const { server, url } = await answering(200, '{}');
    await new Promise((resolve) => server.close(resolve));
    const error = await new UploadApiClient(url, undefined).request('GET', '/status/img-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect(error).toMatchObject({ code: 'SERVER_UNREACHABLE', baseUrl: url });
    expect((error as Error).message).toContain('receipts serve');
  });

  it("an HTTP error → HttpRequestFailedError (HTTP_REQUEST_FAILED) with the status and the API's own message", async () => {
    const { server, url } = await answering(
      404,
      JSON.stringify({ error: { code: 'NOT_FOUND', message: 'image not found: img-9' } }),
    );
    servers.push(server);
    const error = await new UploadApiClient(url, 'token').request('GET', '/status/img-9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestFailedError);
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', status: 404, request: 'GET /status/img-9' });
    expect((error as Error).message).toContain('image not found: img-9');
  });

  it('a refused presigned PUT → HttpRequestFailedError naming the upload and the status', async () => {
    const { server, url } = await answering(403, '<Error><Code>SignatureDoesNotMatch</Code></Error>');
    servers.push(server);
    const upload: PresignedUpload = {
      method: 'PUT',
      url: `${url}/upload/img-1`,
      fields: {},
      headers: { 'content-type': 'image/png' },
      max_bytes: 1024,
      expires_at: '2030-01-01T00:00:00.000Z',
    };
    const error = await sendPresignedUpload(upload, new Uint8Array([1, 2, 3]), 'receipt.png').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestFailedError);
    expect(error).toMatchObject({ status: 403 });
    expect((error as Error).message).toMatch(
      /upload of receipt\.png \(PUT to its presigned URL\) failed with HTTP 403: .*SignatureDoesNotMatch/,
    );
  });

  it("stream: the body as it arrives; an HTTP error is named with the API's message, a proxy's page as text", async () => {
    const ok = await answering(200, 'a,b\r\n1,2\r\n');
    servers.push(ok.server);
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of await new UploadApiClient(ok.url, 't').stream('/export?format=csv'))
      text += decoder.decode(chunk);
    expect(text).toBe('a,b\r\n1,2\r\n');

    const refused = await answering(
      400,
      JSON.stringify({ error: { code: 'VALIDATION_FAILED', message: 'format: must be csv or jsonl' } }),
    );
    servers.push(refused.server);
    const error = await new UploadApiClient(refused.url, 't').stream('/export?format=x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', status: 400, request: 'GET /export?format=x' });
    expect((error as Error).message).toContain('format: must be csv or jsonl');

    const proxy = await answering(502, '<html>Bad Gateway</html>');
    servers.push(proxy.server);
    await expect(new UploadApiClient(proxy.url, 't').stream('/export?format=csv')).rejects.toThrow(
      /HTTP 502: <html>Bad Gateway/,
    );
  });
});

describe('receipts CLI http client: the export redirect (AWS answers 303 to a presigned GET)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('follows the 303 and reads the file, without sending the API key to the storage URL', async () => {
    const seen: (string | undefined)[] = [];
    const bucket = await listen((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'text/csv' }).end('image_id,receipt_id\r\nimg-1,1\r\n');
    });
    const api = await listen((req, res) => {
      expect(req.headers.authorization).toBe('Bearer tok');
      res.writeHead(303, { location: `${bucket}/exports/alice/x.csv?X-Amz-Signature=abc` }).end();
    });
    const body = await new UploadApiClient(api, 'tok').stream('/export?format=csv');
    let text = '';
    for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
    expect(text).toBe('image_id,receipt_id\r\nimg-1,1\r\n');
    // A presigned URL carries its own signature; a bearer header next to it is a leak (and S3 refuses two auths).
    expect(seen).toEqual([undefined]);
  });

  it('a storage URL that refuses → HttpRequestFailedError naming the export', async () => {
    const bucket = await listen((_req, res) => res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>'));
    const api = await listen((_req, res) => res.writeHead(303, { location: `${bucket}/x.csv` }).end());
    const error = await new UploadApiClient(api, 'tok').stream('/export?format=csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestFailedError);
    expect(error).toMatchObject({ status: 403 });
    expect((error as Error).message).toMatch(
      /GET \/export\?format=csv \(its download URL\) failed with HTTP 403: .*AccessDenied/,
    );
  });
});
