import type { AddressInfo } from 'node:net';
import { ApiKeyAuth } from '../../http/api-key-auth.js';
import { ServeStartupError } from '../../errors.js';
import { ensureConsoleBuilt } from '@receiptflow/console';
import { createLocalHttpServer, type LocalHttpRoutes } from '../../local/http-server.js';
import { lazyConsoleSite } from '../../local/console-site.js';
import { presignedUploadRoute } from '../../local/presigned-upload-route.js';
import { presignedDownloadRoute } from '../../local/presigned-download-route.js';
import { FaultInjector } from '../../local/fault/fault-injector.js';
import { FAULT_ENV, parseFaultPlan, type FaultPlan } from '../../local/fault/fault-plan.js';
import { LocalRuntime } from '../../local/local-runtime.js';
import { createLogger } from '../../logging.js';
import { parseFlags, positiveInt, type Print } from '../args.js';
import { DEFAULT_OWNER, OwnerSchema, UsageError } from '@receiptflow/core';
import { loadCatalog } from '../catalog.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface ServeOptions {
  /** Test-only: SIGKILL this process after a pipeline event (from `RECEIPTFLOW_FAULT`). */
  fault?: FaultPlan | null;
  /**
   * Build (or find) the console as soon as the server starts, rather than on its first visit.
   * The CLI does; tests of the API leave it off, so they never pay for a build they do not use.
   */
  buildConsoleEagerly?: boolean;
}

export interface ServeHandle {
  url: string;
  /**
   * The pipeline behind the server, for tests that drive `receipts serve` in-process and need a
   * hand on it (the console's DLQ scenario puts a malformed message on ocr-queue).
   */
  runtime: LocalRuntime;
  stop(): Promise<void>;
}

/**
 * `receipts serve [--port 8787] [--host 127.0.0.1] [--data DIR] [--token T [--owner NAME]] [--places CATALOG]`:
 * the HTTP API plus in-process OCR, results, stream and compaction workers on local adapters
 * persisted to --data. Without --token it only binds loopback, and every request is
 * DEFAULT_OWNER's; with it, the token is one owner's key: --owner's, default DEFAULT_OWNER (the
 * owner of everything uploaded before owners existed, so an old data folder stays readable).
 */
export async function startServe(argv: string[], log: Print, options: ServeOptions = {}): Promise<ServeHandle> {
  const { values } = parseFlags(argv, {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string', default: '.data' },
    token: { type: 'string' },
    owner: { type: 'string' },
    places: { type: 'string' },
    'ocr-workers': { type: 'string' },
    'log-format': { type: 'string', default: 'pretty' },
  });
  const host = values.host;
  if (!LOOPBACK.has(host) && !values.token) {
    throw new UsageError(`--token is required when binding ${host}; without it serve only binds 127.0.0.1`);
  }
  if (values.owner !== undefined && !values.token) {
    throw new UsageError('--owner names the owner of --token; without a token every request is the default owner');
  }
  const owner = OwnerSchema.safeParse(values.owner ?? DEFAULT_OWNER);
  if (!owner.success) throw new UsageError(`--owner ${owner.error.issues[0]?.message ?? 'is invalid'}`);
  const keys = values.token ? [{ owner: owner.data, sha256: ApiKeyAuth.hash(values.token) }] : [];
  const port = values.port === '0' ? 0 : positiveInt(values.port, '--port', 8787);
  if (values['log-format'] !== 'pretty' && values['log-format'] !== 'json') {
    throw new UsageError('--log-format must be json or pretty');
  }
  const logger = createLogger({ format: values['log-format'], level: 'info' });
  const catalog = values.places ? await loadCatalog(values.places) : [];

  let runtime: LocalRuntime | undefined;
  const auth = new ApiKeyAuth(keys);
  // Null until the runtime is open: the server answers 503 + Retry-After meanwhile.
  const routes = (): LocalHttpRoutes | null => {
    const r = runtime;
    if (!r) return null;
    return {
      authorize: (authorization) => auth.verify(authorization),
      api: (event) => r.api(event),
      admitUpload: presignedUploadRoute(r.adapters.rawImages, r.adapters.jobs),
      openDownload: presignedDownloadRoute([r.adapters.rawImages, r.adapters.artifacts]),
    };
  };
  // Listening before the runtime opens: a client arriving during a slow start gets a 503, not
  // "connection refused", and the port is known (and reserved) before the slow part begins.
  // The console at `/` (packages/console): built from its sources when no current build exists
  // (a fresh clone), a few seconds, meanwhile its requests wait; the API is not held up.
  const buildConsole = () => ensureConsoleBuilt({ log });
  if (options.buildConsoleEagerly) {
    buildConsole().catch((error: unknown) =>
      logger.error('the console could not be built', { error: error instanceof Error ? error.message : String(error) }),
    );
  }
  const staticSite = lazyConsoleSite(buildConsole, (error) =>
    logger.error('the console is not available', { error: error instanceof Error ? error.message : String(error) }),
  );
  const server = createLocalHttpServer(routes, { staticSite });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  log(`receipts serve starting on ${base} (data: ${values.data}); requests get 503 until ready`);

  if (options.fault) logger.warn('fault injection armed: this process will SIGKILL itself', { fault: options.fault });
  try {
    runtime = await LocalRuntime.open({
      logger,
      ...(options.fault ? { fault: new FaultInjector(options.fault) } : {}),
      dataDir: values.data,
      catalog,
      ocrWorkers: positiveInt(values['ocr-workers'], '--ocr-workers', 1),
      apiKeySha256: keys,
      // The host is not signed: restarted on the same port, the URLs issued before still work.
      uploadBaseUrl: `${base}/uploads`,
    });
  } catch (error) {
    // A fatal start must not leave a live port behind that answers 503 forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new ServeStartupError(values.data, { cause: error });
  }
  runtime.start();
  log(
    `receipts serve listening on ${base} (data: ${values.data}${values.token ? `, token required (owner ${owner.data})` : ''})`,
  );

  const started = runtime;
  return {
    url: base,
    runtime: started,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await started.stop();
    },
  };
}

export async function serveCommand(
  argv: string[],
  log: Print,
  env: Record<string, string | undefined>,
): Promise<number> {
  const handle = await startServe(argv, log, { fault: parseFaultPlan(env[FAULT_ENV]), buildConsoleEagerly: true });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log('stopping: finishing work in flight');
  await handle.stop();
  return 0;
}
