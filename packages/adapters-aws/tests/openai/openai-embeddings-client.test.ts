import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@receiptflow/core';
import { OpenAiApiError, OpenAiConnectionError, OpenAiEmbeddingsClient } from '../../src/openai/index.js';

// The hand-written client (kept instead of the `openai` SDK for the Lambda's cold start) against
// a server whose every answer the test writes, so the wire format is pinned: what is sent, how
// base64 vectors decode, and how each failure is reported to the embedder.

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(answer: (res: ServerResponse, seen: Seen) => void): Promise<{ baseURL: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      };
      seen.push(request);
      answer(res, request);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

const base64Of = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('OpenAiEmbeddingsClient', () => {
  it('POSTs the documented request with the bearer key and decodes base64 float32 vectors', async () => {
    const vectors = [
      [0.5, -0.25, 0.125],
      [1.5, 2, -3.75],
    ];
    const { baseURL, seen } = await serve((res) =>
      json(res, 200, {
        object: 'list',
        // Out of order on purpose: the client keeps each item's index, the embedder sorts.
        data: [
          { object: 'embedding', index: 1, embedding: base64Of(vectors[1]!) },
          { object: 'embedding', index: 0, embedding: base64Of(vectors[0]!) },
        ],
        usage: { prompt_tokens: 7, total_tokens: 7 },
      }),
    );
    const client = new OpenAiEmbeddingsClient({ apiKey: 'sk-one', baseURL: `${baseURL}/` });
    const response = await client.create(
      { model: 'text-embedding-3-small', input: ['A', 'B'], dimensions: 3 },
      { timeoutMs: 10_000 },
    );
    expect(response.data).toEqual([
      { index: 1, embedding: vectors[1] },
      { index: 0, embedding: vectors[0] },
    ]);
    expect(response.usage?.total_tokens).toBe(7);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/embeddings',
      headers: { authorization: 'Bearer sk-one', 'content-type': 'application/json' },
      body: { model: 'text-embedding-3-small', input: ['A', 'B'], dimensions: 3, encoding_format: 'base64' },
    });
  });

  it('accepts float vectors too', async () => {
    const { baseURL } = await serve((res) => json(res, 200, { data: [{ index: 0, embedding: [0.1, 0.2] }] }));
    const response = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL }).create(
      { model: 'm', input: ['A'] },
      { timeoutMs: 10_000 },
    );
    expect(response.data).toEqual([{ index: 0, embedding: [0.1, 0.2] }]);
  });

  it("reports an error status with OpenAI's code, type, message and the response headers", async () => {
    const { baseURL } = await serve((res) =>
      json(
        res,
        429,
        { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
        { 'retry-after-ms': '1500', 'retry-after': '2' },
      ),
    );
    const error = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAiApiError);
    expect(error).toMatchObject({
      status: 429,
      apiCode: 'rate_limit_exceeded',
      apiType: 'requests',
      code: 'OPENAI_API_ERROR',
      message: '429 Rate limit reached',
    });
    expect((error as OpenAiApiError).headers?.get('Retry-After-Ms')).toBe('1500');
    expect((error as OpenAiApiError).headers?.get('retry-after')).toBe('2');
  });

  it('reports a non-JSON error body (a proxy page) by its status and text', async () => {
    const { baseURL } = await serve((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const error = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAiApiError);
    expect(error).toMatchObject({ status: 502, message: '502 <html>bad gateway</html>', apiCode: undefined });
  });

  it('rejects a 200 whose body is not the documented shape', async () => {
    const { baseURL } = await serve((res) => json(res, 200, { data: [{ index: 0 }] }));
    const error = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAiApiError);
    expect((error as Error).message).toMatch(/not the documented shape/);
  });

  it('reports a refused connection as a connection failure naming the cause', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL: `http://127.0.0.1:${port}/v1` })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAiConnectionError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('fails a request over its deadline as a connection failure, also mid-body', async () => {
    // Headers sent, body never finished: the deadline covers the whole exchange.
    const { baseURL } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    });
    const started = Date.now();
    const error = await new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAiConnectionError);
    expect((error as Error).message).toBe('request timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("stops when its signal aborts, with the signal's reason", async () => {
    const { baseURL } = await serve(() => {});
    const abort = new AbortController();
    const pending = new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL })
      .create({ model: 'm', input: ['A'] }, { timeoutMs: 60_000, signal: abort.signal })
      .catch((e: unknown) => e);
    const reason = new Error('another batch failed');
    setTimeout(() => abort.abort(reason), 50);
    expect(await pending).toBe(reason);
  });

  it('rejects an empty key and a base URL that is not http(s)', () => {
    expect(() => new OpenAiEmbeddingsClient({ apiKey: '' })).toThrow(ConfigError);
    expect(() => new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL: 'not a url' })).toThrow(ConfigError);
    expect(() => new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL: 'ftp://example.com/v1' })).toThrow(ConfigError);
  });
});
