import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DependencyError, TransientDependencyError } from '@receiptflow/core';
import { OpenAiEmbedder, OpenAiEmbeddingsClient, type OpenAiEmbedderConfig } from '../../src/openai/index.js';
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
  type FakeOpenAiServerOptions,
} from '@receiptflow/devkit/fake-servers';
import { RecordingClock } from './recording-clock.js';

const servers: FakeOpenAiServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(
  serverOptions: FakeOpenAiServerOptions = {},
  config: Partial<OpenAiEmbedderConfig> = {},
  clientOptions: { apiKey?: string } = {},
) {
  const server = await startFakeOpenAiServer({ apiKey: 'sk-good', ...serverOptions });
  servers.push(server);
  const clock = new RecordingClock();
  const client = new OpenAiEmbeddingsClient({ apiKey: clientOptions.apiKey ?? 'sk-good', baseURL: server.baseURL });
  // random = 0 makes the jittered backoff its lower bound: half the exponential step.
  const embedder = new OpenAiEmbedder(client, { clock, random: () => 0, ...config });
  return { server, clock, embedder };
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => `RECEIPT LINE ${i} TOTAL ${i * 3}.99`);
const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const statuses = (server: FakeOpenAiServer) => server.requests.map((r) => r.status);

describe('OpenAiEmbedder', () => {
  // docs/lessons.md#lesson-9-rate-limits-tripped-a-circuit-breaker
  it('completes a 200-text run at concurrency 10 against a server that 429s above 5', async () => {
    const { server, clock, embedder } = await setup(
      // Answers are held 150 ms so that the first wave of 10 really overlaps at the server.
      { maxConcurrent: 5, retryAfterSeconds: 1, latencyMs: 150 },
      { batchSize: 10, maxConcurrency: 10 },
    );
    const input = texts(200);
    const result = await embedder.embed(input);

    expect(result.vectors).toHaveLength(200);
    expect(server.requests.filter((r) => r.status === 200)).toHaveLength(20);
    const throttled = server.requests.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    // Every retry after a 429 waited at least the Retry-After the server sent.
    expect(clock.sleeps).toHaveLength(throttled.length);
    for (const ms of clock.sleeps) expect(ms).toBeGreaterThanOrEqual(1000);
    // Order survived batching and retries.
    const check = await embedder.embed([input[0]!, input[111]!, input[199]!]);
    expect(dot(check.vectors[0]!, result.vectors[0]!)).toBeGreaterThan(0.9999);
    expect(dot(check.vectors[1]!, result.vectors[111]!)).toBeGreaterThan(0.9999);
    expect(dot(check.vectors[2]!, result.vectors[199]!)).toBeGreaterThan(0.9999);
  });

  it('prefers retry-after-ms over Retry-After', async () => {
    const { server, clock, embedder } = await setup({ retryAfterSeconds: 1, retryAfterMs: 2500 });
    server.failNext(429);
    await embedder.embed(['A']);
    expect(statuses(server)).toEqual([429, 200]);
    expect(clock.sleeps).toEqual([2500]);
  });

  it('honours a Retry-After in seconds', async () => {
    const { server, clock, embedder } = await setup({ retryAfterSeconds: 3 });
    server.failNext(429);
    await embedder.embed(['A']);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('fails at once, as retryable, when the server asks to wait longer than allowed', async () => {
    const { server, clock, embedder } = await setup({ retryAfterSeconds: 120 }, { maxRetryAfterMs: 60_000 });
    server.failNext(429);
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/asked to retry after 120000 ms/);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries 500 and 503 with exponential backoff, then succeeds', async () => {
    const { server, clock, embedder } = await setup({}, { baseDelayMs: 500 });
    server.failNext(500, 503);
    const result = await embedder.embed(['WHOLE FOODS', 'TOTAL']);
    expect(result.vectors).toHaveLength(2);
    expect(statuses(server)).toEqual([500, 503, 200]);
    // random() = 0: half of 500, then half of 1000.
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('gives up after maxRetries with a retryable error naming the status', async () => {
    const { server, embedder } = await setup({}, { maxRetries: 2 });
    server.failNext(503, 503, 503, 503);
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect(error).toMatchObject({ dependency: 'openai', retryable: true });
    expect((error as Error).message).toMatch(/status 503.*gave up after 3 attempts/);
    expect(statuses(server)).toEqual([503, 503, 503]);
  });

  it('makes one request per attempt: the client does not retry on its own', async () => {
    const { server, embedder } = await setup({}, { maxRetries: 0 });
    server.failNext(500);
    await expect(embedder.embed(['A'])).rejects.toBeInstanceOf(TransientDependencyError);
    expect(server.requests).toHaveLength(1);
  });

  it('maps 401 to a non-retryable DependencyError naming the status, without retrying', async () => {
    const { server, clock, embedder } = await setup({}, {}, { apiKey: 'sk-wrong' });
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'openai', retryable: false });
    expect((error as Error).message).toMatch(/status 401/);
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('maps 400 to a DependencyError', async () => {
    const { embedder } = await setup();
    const error = await embedder.embed(['fine', '']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toMatch(/status 400/);
  });

  it('maps 429 insufficient_quota to a final DependencyError: waiting does not buy credit', async () => {
    const { server, clock, embedder } = await setup({ quotaExhausted: true });
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'openai', retryable: false });
    expect((error as Error).message).toMatch(/status 429.*exceeded your current quota/);
    expect(statuses(server)).toEqual([429]);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a request over its deadline as a connection failure, then gives up as retryable', async () => {
    // The fake logs a request only once it answers, so the attempts are counted by the message.
    const { clock, embedder } = await setup({ latencyMs: 5_000 }, { requestTimeoutMs: 200, maxRetries: 1 });
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/connection failed.*timed out after 200 ms.*gave up after 2 attempts/);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('treats an unreachable server as retryable and names it', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const clock = new RecordingClock();
    const embedder = new OpenAiEmbedder(
      new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL: `http://127.0.0.1:${port}/v1` }),
      {
        clock,
        maxRetries: 1,
        random: () => 0,
      },
    );
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/^openai: embeddings request failed \(connection failed\)/);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('batches inputs, requests the model and dimensions, and sums tokens', async () => {
    const { server, embedder } = await setup({}, { dimensions: 256 });
    const result = await embedder.embed(texts(1100));
    expect(server.requests.map((r) => r.inputs).sort((a, b) => b - a)).toEqual([512, 512, 76]);
    // Vectors travel as base64 float32s, as the SDK asked for them (a quarter of the JSON bytes).
    expect(server.requests.every((r) => r.encoding === 'base64')).toBe(true);
    expect(server.requests.every((r) => r.model === 'text-embedding-3-small' && r.dimensions === 256)).toBe(true);
    expect(result.vectors.every((v) => v.length === 256)).toBe(true);
    const expectedTokens = texts(1100).reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
    expect(result.tokens).toBe(expectedTokens);
  });

  it('makes no call for empty input', async () => {
    const { server, embedder } = await setup();
    expect(await embedder.embed([])).toEqual({ vectors: [], tokens: 0 });
    expect(server.requests).toHaveLength(0);
  });

  it('never has more than maxConcurrency requests in flight', async () => {
    const { server, embedder } = await setup({ latencyMs: 10 }, { batchSize: 5, maxConcurrency: 2 });
    await embedder.embed(texts(50));
    expect(server.requests).toHaveLength(10);
    expect(server.peakConcurrency()).toBeLessThanOrEqual(2);
  });

  it('rejects vectors of the wrong length from a model that ignores `dimensions`', async () => {
    const { embedder } = await setup({}, { model: 'text-embedding-ada-002', dimensions: 512 });
    const error = await embedder.embed(['A']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toMatch(/returned 1536 dimensions, expected 512/);
  });

  it('rejects invalid configuration', () => {
    const client = new OpenAiEmbeddingsClient({ apiKey: 'sk', baseURL: 'http://127.0.0.1:1/v1' });
    const clock = new RecordingClock();
    expect(() => new OpenAiEmbedder(client, { clock, batchSize: 4096 })).toThrow(ConfigError);
    expect(() => new OpenAiEmbedder(client, { clock, maxConcurrency: 0 })).toThrow(ConfigError);
  });
});
