import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A Lambda has one AWS_ENDPOINT_URL for DynamoDB and SQS, as AWS has one per region: this
 * loopback proxy sends DynamoDB's JSON calls (X-Amz-Target DynamoDB_…) to dynalite, the rest to
 * fauxqs.
 */
export async function startAwsProxy(dynamoEndpoint: string, sqsEndpoint: string): Promise<AwsProxy> {
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB') ? dynamoEndpoint : sqsEndpoint;
    const upstream = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
