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

/** fauxqs running: its endpoint, and the URL it gives the queue an ARN names. */
export interface RunningFauxqs extends RunningEmulator {
  /**
   * fauxqs names a queue `http://sqs.<region>.<host>:<port>/<account>/<name>` and finds it by that
   * exact URL, where SQS accepts the URL of its regional endpoint: this is the override that
   * `SqsQueue.fromArn` takes to find queues on it.
   */
  queueUrlOf(arn: { region: string; accountId: string; name: string }): string;
}

/** Starts fauxqs (SQS + S3 emulator) on a free 127.0.0.1 port. */
export async function startFauxqs(): Promise<RunningFauxqs> {
  const host = '127.0.0.1';
  const server = await startFauxqsServer({ port: 0, host, logger: false });
  return {
    endpoint: `http://${host}:${server.port}`,
    stop: () => server.stop(),
    queueUrlOf: (arn) => `http://sqs.${arn.region}.${host}:${server.port}/${arn.accountId}/${arn.name}`,
  };
}
