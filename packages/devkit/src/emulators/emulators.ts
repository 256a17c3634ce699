/// <reference path="./dynalite.d.ts" />
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { startFauxqs as startFauxqsServer } from 'fauxqs';

/** A running in-process emulator: its endpoint and how to stop it. */
export interface RunningEmulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite (in-memory DynamoDB) on a free 127.0.0.1 port. Tables are ACTIVE at once. */
export async function startDynalite(): Promise<RunningEmulator> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets of SDK clients would hold close() open; cut them.
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Starts fauxqs (SQS + S3 emulator) on a free 127.0.0.1 port. */
export async function startFauxqs(): Promise<RunningEmulator> {
  const server = await startFauxqsServer({ port: 0, host: '127.0.0.1', logger: false });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}
