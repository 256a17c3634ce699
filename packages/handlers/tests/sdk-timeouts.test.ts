import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientConfig,
  SDK_CALL_LIMITS,
  sqsClientConfig,
  type AwsClientSettings,
} from '../src/container/aws/clients.js';

/**
 * A server that accepts every connection and reads every request, but never answers: what a
 * stalled endpoint looks like to the SDK. Counts connections, one per attempt (a timed-out
 * attempt destroys its socket, so the retry opens a new one).
 */
let server: Server;
let endpoint: string;
let connections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  connections = 0;
});

// Short limits so that the suite is quick; production uses SDK_CALL_LIMITS through the same code.
const settings = (): AwsClientSettings => ({
  region: 'us-east-1',
  endpoint,
  limits: { connectionTimeoutMs: 500, requestTimeoutMs: 300, socketTimeoutMs: 300, maxAttempts: 2 },
});
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };

describe('SDK clients against a server that accepts and never answers', () => {
  it('DynamoDB GetItem rejects with TimeoutError after maxAttempts attempts', async () => {
    const client = new DynamoDBClient({ ...clientConfig(settings()), credentials });
    const error = await client
      .send(new GetItemCommand({ TableName: 'jobs', Key: { PK: { S: 'a' }, SK: { S: 'b' } } }))
      .catch((e: unknown) => e);
    client.destroy();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(connections).toBe(2);
  });

  it('S3 GetObject rejects with TimeoutError after maxAttempts attempts', async () => {
    const client = new S3Client({ ...clientConfig(settings()), forcePathStyle: true, credentials });
    const error = await client.send(new GetObjectCommand({ Bucket: 'deltas', Key: 'a.json' })).catch((e: unknown) => e);
    client.destroy();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(connections).toBe(2);
  });

  it('SQS SendMessage rejects with TimeoutError after maxAttempts attempts', async () => {
    const client = new SQSClient({ ...sqsClientConfig(settings()), credentials });
    const error = await client
      .send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/results`, MessageBody: '{}' }))
      .catch((e: unknown) => e);
    client.destroy();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(connections).toBe(2);
  });
});

describe('the limits every function gets', () => {
  it('throw on request and socket timeouts, with explicit attempts and retry mode', () => {
    const config = clientConfig({ region: 'eu-west-1' });
    expect(config).toMatchObject({
      region: 'eu-west-1',
      maxAttempts: SDK_CALL_LIMITS.maxAttempts,
      retryMode: 'standard',
      requestHandler: {
        requestTimeout: SDK_CALL_LIMITS.requestTimeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: SDK_CALL_LIMITS.socketTimeoutMs,
      },
    });
    expect(config).not.toHaveProperty('endpoint');
  });

  it('SQS keeps a socket open through a 20 s long poll; the others do not wait that long', () => {
    expect(sqsClientConfig({ region: 'eu-west-1' }).requestHandler.socketTimeout).toBeGreaterThan(20_000);
    expect(SDK_CALL_LIMITS.socketTimeoutMs).toBeLessThan(20_000);
  });
});
