import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmulatorGatewayConfig {
  /** dynalite's endpoint: DynamoDB calls go here. */
  dynamoEndpoint: string;
  /** fauxqs's endpoint: everything else (SQS and S3) goes here. */
  fauxqsEndpoint: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
}

export interface EmulatorGateway {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * One local endpoint in front of the two emulators, so that the worker's single `--endpoint-url`
 * works as it does with LocalStack. DynamoDB requests are told apart by their
 * `X-Amz-Target: DynamoDB_20120810.*` header; SQS and S3 both go to fauxqs, which serves both.
 * For development and tests only: it forwards bytes and headers unchanged, with no auth.
 */
export async function startEmulatorGateway(config: EmulatorGatewayConfig): Promise<EmulatorGateway> {
  const dynamo = new URL(config.dynamoEndpoint);
  const fauxqs = new URL(config.fauxqsEndpoint);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB') ? dynamo : fauxqs;
    const upstream = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`emulator gateway: ${target.host} failed: ${error.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
