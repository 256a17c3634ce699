import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAiServerOptions {
  /** Requests arriving while this many are in flight get 429 with Retry-After (docs/lessons.md#lesson-9-rate-limits-tripped-a-circuit-breaker). */
  maxConcurrent?: number;
  /** `Retry-After` (seconds) on every 429. Default 1. */
  retryAfterSeconds?: number;
  /** If set, 429s also carry OpenAI's `retry-after-ms` header with this value. */
  retryAfterMs?: number;
  /** How long an answered request is held, so that concurrency is real. Default 0. */
  latencyMs?: number;
  /** If set, any other bearer key gets 401 `invalid_api_key`. */
  apiKey?: string;
  /** Every request gets the API's out-of-credit answer: 429 `insufficient_quota` (no Retry-After). */
  quotaExhausted?: boolean;
}

/** One request as the server saw it. */
export interface FakeOpenAiRequest {
  status: number;
  inputs: number;
  dimensions: number | undefined;
  model: string | undefined;
  /** Requests in flight when this one arrived, itself included. */
  concurrency: number;
  /** The `encoding_format` asked for, if any (`base64` or `float`). */
  encoding: string | undefined;
}

export interface FakeOpenAiServer {
  /** Base URL for the SDK: `new OpenAI({ baseURL: server.baseURL, apiKey })`. */
  baseURL: string;
  port: number;
  /** Every request, in arrival order. */
  requests: FakeOpenAiRequest[];
  /** Highest number of requests in flight at once (including ones then refused with 429). */
  peakConcurrency: () => number;
  /** Queues statuses (e.g. 500, 503, 401, 429) that the next requests get, one each. */
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

/**
 * A node:http stand-in for `POST /v1/embeddings`, answering in OpenAI's documented shape
 * (`data[].embedding`, `data[].index`, `usage`; float or base64 encoding). Vectors are
 * deterministic hashed character trigrams and words, so similar texts get similar vectors; they
 * are deliberately not unit length. Faults are scriptable: 429 above N concurrent requests and a
 * queue of forced statuses. Empty input strings get 400, as the real API does.
 */
export async function startFakeOpenAiServer(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const requests: FakeOpenAiRequest[] = [];
  const forced: number[] = [];
  let inFlight = 0;
  let peak = 0;

  const server = createServer((req, res) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    const concurrency = inFlight;
    void handle(req, res, concurrency)
      .catch((error: unknown) => send(res, 500, errorBody(String(error), 'server_error')))
      .finally(() => inFlight--);
  });

  async function handle(req: IncomingMessage, res: ServerResponse, concurrency: number): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const log = (status: number, body?: EmbeddingRequest) =>
      requests.push({
        status,
        inputs: body ? inputsOf(body).length : 0,
        dimensions: body?.dimensions,
        model: body?.model,
        concurrency,
        encoding: body?.encoding_format,
      });

    if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
      log(404);
      return send(res, 404, errorBody(`Unknown route ${req.method} ${req.url}`, 'invalid_request_error'));
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as EmbeddingRequest;
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      log(401, body);
      return send(res, 401, errorBody('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'));
    }
    if (options.quotaExhausted) {
      log(429, body);
      return send(res, 429, errorBody('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'));
    }
    const status = forced.shift();
    if (status === 429 || (options.maxConcurrent !== undefined && concurrency > options.maxConcurrent)) {
      log(429, body);
      return send(res, 429, errorBody('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'), {
        'retry-after': String(options.retryAfterSeconds ?? 1),
        ...(options.retryAfterMs !== undefined ? { 'retry-after-ms': String(options.retryAfterMs) } : {}),
      });
    }
    if (status !== undefined) {
      log(status, body);
      const type = status >= 500 ? 'server_error' : 'invalid_request_error';
      return send(res, status, errorBody(`Forced status ${status}`, type));
    }
    const inputs = inputsOf(body);
    if (!body.model || inputs.length === 0 || inputs.some((text) => text.length === 0)) {
      log(400, body);
      return send(res, 400, errorBody("'$.input' is invalid", 'invalid_request_error'));
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    log(200, body);
    const dimensions = body.dimensions ?? 1536;
    send(res, 200, {
      object: 'list',
      model: body.model,
      data: inputs.map((text, index) => {
        const vector = hashedVector(text, dimensions);
        return {
          object: 'embedding',
          index,
          embedding: body.encoding_format === 'base64' ? toBase64(vector) : vector,
        };
      }),
      usage: {
        prompt_tokens: inputs.reduce((sum, text) => sum + tokenEstimate(text), 0),
        total_tokens: inputs.reduce((sum, text) => sum + tokenEstimate(text), 0),
      },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    peakConcurrency: () => peak,
    failNext: (...statuses) => void forced.push(...statuses),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface EmbeddingRequest {
  model?: string;
  input?: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

function inputsOf(body: EmbeddingRequest): string[] {
  if (typeof body.input === 'string') return [body.input];
  return Array.isArray(body.input) ? body.input : [];
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

function tokenEstimate(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** FNV-1a, 32 bit. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Signed feature hashing of lower-cased character trigrams and words. */
function hashedVector(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const h = hash(feature);
    vector[h % dimensions]! += h & 0x80000000 ? -weight : weight;
  };
  const lower = ` ${text.toLowerCase()} `;
  for (let i = 0; i + 3 <= lower.length; i++) add(`c:${lower.slice(i, i + 3)}`, 1);
  for (const word of lower.split(/\s+/).filter(Boolean)) add(`w:${word}`, 2);
  return vector;
}

function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
