import type { AddressInfo } from 'node:net';
import { ApiKeyAuth } from '../../src/http/api-key-auth.js';
import { createLocalHttpServer } from '../../src/local/http-server.js';
import { presignedDownloadRoute } from '../../src/local/presigned-download-route.js';
import { presignedUploadRoute } from '../../src/local/presigned-upload-route.js';
import type { LocalPipeline } from './local-pipeline.js';

export interface ApiServer {
  url: string;
  /** One request with the bearer key (if any) and a JSON (or raw) body. */
  request(
    method: string,
    path: string,
    options?: { bearer?: string; body?: string | Uint8Array; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real local HTTP server (`receipts serve`'s) in front of a test pipeline's API, on a free
 * loopback port: requests go through node's HTTP parsing, headers and bodies as a client sends them.
 */
export async function serveApi(
  p: Pick<LocalPipeline, 'api'> & { adapters: Pick<LocalPipeline['adapters'], 'rawImages' | 'jobs' | 'artifacts'> },
  keys: readonly { owner: string; key: string }[],
): Promise<ApiServer> {
  const auth = new ApiKeyAuth(keys.map((k) => ({ owner: k.owner, sha256: ApiKeyAuth.hash(k.key) })));
  const server = createLocalHttpServer(() => ({
    // The same keys as the pipeline's router (which learns the owner): the gate before the body is read.
    authorize: (authorization) => auth.verify(authorization),
    api: (event) => p.api(event),
    admitUpload: presignedUploadRoute(p.adapters.rawImages, p.adapters.jobs),
    openDownload: presignedDownloadRoute([p.adapters.rawImages, p.adapters.artifacts]),
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    request: (method, path, options = {}) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.bearer === undefined ? {} : { authorization: `Bearer ${options.bearer}` }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: options.body }),
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
