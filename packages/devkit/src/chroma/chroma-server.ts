import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A Chroma server running as a child process, for tests. */
export interface ChromaServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  /** Kills the server's process group and removes its data directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Kills the server at once (SIGKILL, as a crash or a lost host would), keeping its data
   * directory; calls fail with connection refused until {@link restart}.
   */
  crash(): Promise<void>;
  /** Starts the server again on the same port and data directory, and waits for its heartbeat. */
  restart(): Promise<void>;
}

export interface StartChromaServerOptions {
  /** How long to wait for the first successful heartbeat. Default 30 s. */
  startupTimeoutMs?: number;
}

/**
 * Starts a real Chroma server (`chroma run`, from the installed `chromadb` package) on a free
 * 127.0.0.1 port with a fresh temporary data directory, and resolves once
 * `GET /api/v2/heartbeat` answers. It runs as a child process because the native binding blocks
 * the event loop of whatever process hosts it.
 */
export async function startChromaServer(options: StartChromaServerOptions = {}): Promise<ChromaServer> {
  const host = '127.0.0.1';
  const cli = resolveChromaCli();
  const port = await freePort(host);
  const dataDir = await mkdtemp(join(tmpdir(), 'receiptflow-chroma-'));
  const url = `http://${host}:${port}`;
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  let child: ChildProcess | undefined;
  let stderr = '';

  // If the test process exits without calling stop(), the server must not outlive it.
  const killOnExit = () => {
    if (child) signalGroup(child, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    stderr = '';
    child = spawn(
      process.execPath,
      [cli, 'run', '--path', dataDir, '--host', host, '--port', String(port)],
      // detached: the child leads its own process group, so stop() can kill the group.
      { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    await waitForHeartbeat(url, child, startupTimeoutMs, () => stderr);
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    if (child) await killGroup(child);
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    host,
    port,
    stop,
    crash: async () => {
      if (child) await killGroup(child, 'SIGKILL');
    },
    restart: async () => {
      if (stopped) throw new Error('chroma server was stopped; start a new one');
      if (child) await killGroup(child, 'SIGKILL');
      await launch();
    },
  };
}

/** The chromadb package's `chroma` bin script, found from wherever Node resolves the package. */
function resolveChromaCli(): string {
  const require = createRequire(import.meta.url);
  // `chromadb` exports only ".", so resolve its entry and walk up to the package root.
  let dir = dirname(require.resolve('chromadb'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        bin?: string | Record<string, string>;
      };
      if (pkg.name === 'chromadb') {
        const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['chroma'];
        if (!bin) throw new Error(`chromadb package at ${dir} declares no "chroma" bin`);
        return join(dir, bin);
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('could not find the chromadb package root');
    dir = parent;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHeartbeat(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`chroma server ${exited} before answering: ${stderr().trim()}`);
    try {
      const response = await fetch(`${url}/api/v2/heartbeat`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`chroma server at ${url} gave no heartbeat within ${timeoutMs} ms`);
}

async function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, signal);
  const forced = setTimeout(() => signalGroup(child, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(forced);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole process group the detached child leads.
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
