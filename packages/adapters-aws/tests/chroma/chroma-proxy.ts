import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy. */
export interface ProxiedRequest {
  method: string;
  /** Last path segment, e.g. `upsert`, `get`, `delete`, `pre-flight-checks`. */
  operation: string;
  /** Number of ids in the request body, if it had any. */
  ids: number;
}

export interface ChromaProxyOptions {
  /** Rewrites the `max_batch_size` the server reports in its pre-flight checks. */
  maxBatchSize?: number;
  /** Keeps only the first N records of every upsert/add, like a store that silently drops the rest. */
  dropRecordsBeyond?: number;
  /**
   * Misbehaves on chosen requests instead of forwarding them: an HTTP status to answer with, or
   * `reset` to destroy the connection. `nth` counts requests of that operation, from 1.
   */
  fault?: (request: { operation: string; nth: number }) => number | 'reset' | undefined;
}

export interface ChromaProxy {
  host: string;
  port: number;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

const RECORD_FIELDS = ['ids', 'embeddings', 'documents', 'metadatas', 'uris'] as const;

/**
 * An HTTP proxy in front of a real Chroma server that records what the client sends and can
 * misbehave on purpose: lie about the batch limit, or drop records (docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done).
 */
export async function startChromaProxy(target: string, options: ChromaProxyOptions = {}): Promise<ChromaProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    void forward(req, res).catch((error: unknown) => {
      res.statusCode = 502;
      res.end(String(error));
    });
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks).toString('utf8');
    const operation = (req.url ?? '').split('?')[0]!.split('/').pop() ?? '';
    let ids = 0;
    if (body.length > 0 && req.headers['content-type']?.includes('json')) {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      ids = Array.isArray(parsed['ids']) ? parsed['ids'].length : 0;
      const limit = options.dropRecordsBeyond;
      if (limit !== undefined && (operation === 'upsert' || operation === 'add')) {
        for (const field of RECORD_FIELDS) {
          const value = parsed[field];
          if (Array.isArray(value)) parsed[field] = value.slice(0, limit);
        }
        body = JSON.stringify(parsed);
      }
    }
    requests.push({ method: req.method ?? 'GET', operation, ids });
    const fault = options.fault?.({ operation, nth: requests.filter((r) => r.operation === operation).length });
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      res.writeHead(fault, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'InjectedFault', message: `injected ${fault}` }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && key !== 'host' && key !== 'content-length') headers[key] = value;
    }
    const upstream = await fetch(`${target}${req.url ?? ''}`, {
      method: req.method,
      headers,
      body: body.length > 0 ? body : undefined,
    });
    let text = await upstream.text();
    if (operation === 'pre-flight-checks' && options.maxBatchSize !== undefined) {
      text = JSON.stringify({ ...(JSON.parse(text) as object), max_batch_size: options.maxBatchSize });
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
