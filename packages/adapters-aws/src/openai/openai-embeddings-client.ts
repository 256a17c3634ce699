import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigError } from '@receiptflow/core';
import { OpenAiApiError, OpenAiConnectionError } from '../errors.js';

export interface OpenAiEmbeddingsClientConfig {
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Default https://api.openai.com/v1; tests point it at the fake server (`http://127.0.0.1:<port>/v1`). */
  baseURL?: string;
}

/** The body of `POST /v1/embeddings`, as the API documents it (less `encoding_format`, which the client sets). */
export interface EmbeddingsRequest {
  model: string;
  input: string[];
  /** Only the text-embedding-3 family accepts it. */
  dimensions?: number;
}

/** What the API answers, vectors decoded to numbers. */
export interface EmbeddingsResponse {
  data: { index: number; embedding: number[] }[];
  usage?: { prompt_tokens?: number; total_tokens?: number };
}

export interface EmbeddingsRequestOptions {
  /** Whole request, connect to last byte; on expiry it fails with an {@link OpenAiConnectionError}. */
  timeoutMs: number;
  /** Aborts the request; the request then fails with the signal's reason. */
  signal?: AbortSignal;
}

/** How the embedder calls the API: one attempt, no retries of its own. */
export interface EmbeddingsApi {
  create(body: EmbeddingsRequest, options: EmbeddingsRequestOptions): Promise<EmbeddingsResponse>;
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * One `POST /v1/embeddings` over node:http(s), the whole of the OpenAI API process-OCR-results
 * uses. Hand-written on purpose instead of the `openai` SDK for the Lambda's cold start
 * (docs/adapters.md, OpenAI): the SDK is ~390 KB of the bundle's init and loads Node's fetch
 * (undici), http2, assert, perf_hooks and worker_threads at import, where node:https is
 * already loaded by the AWS SDK. Retries, backoff and validation are the embedder's
 * ({@link OpenAiEmbedder}); this client makes exactly one attempt and reports what happened:
 * an HTTP error status as {@link OpenAiApiError} (status, OpenAI's error `code`/`type`, the
 * response headers for Retry-After), no answer (refused, reset, timed out) as
 * {@link OpenAiConnectionError}. Like the SDK, it asks for base64 vectors (a quarter of the
 * bytes of JSON floats) and decodes them.
 *
 * @example
 * const client = new OpenAiEmbeddingsClient({ apiKey: process.env.OPENAI_API_KEY! });
 * const { data } = await client.create(
 *   { model: 'text-embedding-3-small', input: ['TOTAL 12.40'], dimensions: 512 },
 *   { timeoutMs: 20_000 },
 * );
 */
export class OpenAiEmbeddingsClient implements EmbeddingsApi {
  private readonly url: URL;
  private readonly authorization: string;

  /** Checks the key and base URL now (throws ConfigError). */
  constructor(config: OpenAiEmbeddingsClientConfig) {
    if (!config.apiKey) throw new ConfigError('OpenAI apiKey must not be empty');
    this.authorization = `Bearer ${config.apiKey}`;
    const base = config.baseURL ?? DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(`${base.replace(/\/+$/, '')}/embeddings`);
    } catch {
      throw new ConfigError(`OpenAI baseURL is not a URL: ${base}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(`OpenAI baseURL must be http(s), got ${base}`);
    }
    this.url = url;
  }

  async create(body: EmbeddingsRequest, options: EmbeddingsRequestOptions): Promise<EmbeddingsResponse> {
    const payload = Buffer.from(JSON.stringify({ ...body, encoding_format: 'base64' }));
    // node:http only for a plain-http base URL (the fake server, a local proxy), and imported
    // then: Node 22's ESM view of node:http reads every export, among them the lazy WebSocket
    // getter, which loads undici (fetch), the very load this client exists to avoid at init.
    // node:https has no such export, and the AWS SDK has loaded it already.
    const send = this.url.protocol === 'https:' ? httpsRequest : (await import('node:http')).request;
    const { status, headers, text } = await this.post(send, payload, options);
    const parsed = parseJson(text);
    if (status < 200 || status >= 300) throw apiError(status, headers, parsed, text);
    if (!isEmbeddingsBody(parsed)) {
      throw new OpenAiApiError(status, 'embeddings response is not the documented shape', {
        headers: headerLookup(headers),
      });
    }
    return {
      data: parsed.data.map((d) => ({ index: d.index, embedding: decodeEmbedding(d.embedding) })),
      ...(parsed.usage ? { usage: parsed.usage } : {}),
    };
  }

  private post(
    send: typeof httpsRequest,
    payload: Buffer,
    { timeoutMs, signal }: EmbeddingsRequestOptions,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      let settled = false;
      const settle = (error: unknown, value?: { status: number; headers: IncomingHttpHeaders; text: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(value!);
        else reject(error);
      };
      const req = send(
        this.url,
        {
          method: 'POST',
          headers: {
            authorization: this.authorization,
            'content-type': 'application/json',
            'content-length': payload.length,
            accept: 'application/json',
            'user-agent': 'receiptflow',
          },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => settle(connectionError(error)));
          res.on('aborted', () => settle(new OpenAiConnectionError('the connection closed mid-response')));
          res.on('end', () =>
            settle(undefined, {
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      // A deadline on the whole exchange, as the SDK's `timeout`: a server that accepts and
      // never answers (or stops mid-body) fails this attempt, and the embedder retries.
      const timer = setTimeout(() => {
        const error = new OpenAiConnectionError(`request timed out after ${timeoutMs} ms`);
        settle(error);
        req.destroy(error);
      }, timeoutMs);
      const onAbort = () => {
        settle(signal!.reason);
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => settle(connectionError(error)));
      req.end(payload);
    });
  }
}

interface EmbeddingsBody {
  data: { index: number; embedding: string | number[] }[];
  usage?: { prompt_tokens?: number; total_tokens?: number };
}

function isEmbeddingsBody(value: unknown): value is EmbeddingsBody {
  const data = (value as { data?: unknown } | null)?.data;
  return (
    Array.isArray(data) &&
    data.every(
      (d: { index?: unknown; embedding?: unknown } | null) =>
        typeof d?.index === 'number' && (typeof d.embedding === 'string' || Array.isArray(d.embedding)),
    )
  );
}

/** base64 of little-endian float32s (what `encoding_format: 'base64'` returns), or already numbers. */
function decodeEmbedding(embedding: string | number[]): number[] {
  if (Array.isArray(embedding)) return embedding;
  const bytes = Buffer.from(embedding, 'base64');
  // Copied into a fresh buffer: a Float32Array needs 4-byte alignment, which Buffer's pool does not promise.
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Array.from(floats);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
function apiError(status: number, headers: IncomingHttpHeaders, parsed: unknown, text: string): OpenAiApiError {
  const body = (parsed as { error?: { message?: unknown; type?: unknown; code?: unknown } } | undefined)?.error;
  const message = typeof body?.message === 'string' ? body.message : text.slice(0, 200) || 'no body';
  return new OpenAiApiError(status, message, {
    apiCode: typeof body?.code === 'string' ? body.code : undefined,
    apiType: typeof body?.type === 'string' ? body.type : undefined,
    headers: headerLookup(headers),
  });
}

function headerLookup(headers: IncomingHttpHeaders): { get(name: string): string | null } {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      return (Array.isArray(value) ? value[0] : value) ?? null;
    },
  };
}

function connectionError(error: unknown): unknown {
  if (error instanceof OpenAiConnectionError) return error;
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new OpenAiConnectionError(code && !message.includes(code) ? `${code} ${message}` : message, { cause: error });
}
