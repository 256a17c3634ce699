import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApiResult } from '../src/http/api-gateway.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { LocalRuntime, localOperators } from '../src/local/local-runtime.js';
import { bodyOf, collectingLogger, httpEvent, specLines, TaggedOcr } from './support/fixtures.js';

const OPS = 'k-ops-0001';
const ALICE = 'k-alice-0002';

interface DeadLetterView {
  message_id: string;
  error: string;
  receive_count: number;
  sent_at: string | null;
  body_preview: string;
}

let runtime: LocalRuntime;
const ocr = new TaggedOcr();

function call(
  method: string,
  path: string,
  options: { bearer?: string; body?: string; query?: Record<string, string>; json?: boolean } = {},
): Promise<HttpApiResult> {
  return runtime.api(
    httpEvent({
      method,
      path,
      bearer: options.bearer ?? OPS,
      ...(options.query ? { query: options.query } : {}),
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.json === false ? {} : { headers: { 'content-type': 'application/json' } }),
    }),
  );
}

async function deadLetters(queue: string): Promise<DeadLetterView[]> {
  const res = await call('GET', `/pipeline/dlq/${queue}`);
  expect(res.statusCode, res.body).toBe(200);
  return bodyOf<{ messages: DeadLetterView[] }>(res).messages;
}

beforeAll(async () => {
  runtime = await LocalRuntime.open({
    logger: collectingLogger(),
    ocr,
    catalog: syntheticCatalog(),
    apiKeySha256: [
      { owner: 'ops', sha256: ApiKeyAuth.hash(OPS) },
      { owner: 'alice', sha256: ApiKeyAuth.hash(ALICE) },
    ],
    operators: ['ops'],
  });
  const bytes = ocr.register('a0', specLines(demoReceipts()[0]!.spec));
  const res = await runtime.api(
    httpEvent({ bearer: ALICE, headers: { 'content-type': 'image/png' }, body: bytes, query: { filename: 'a.png' } }),
  );
  expect(res.statusCode, res.body).toBe(201);
  // A poison message: the OCR worker dead-letters it with its reason.
  await runtime.adapters.ocrQueue.send('this is not json');
  await runtime.drain();
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
});

describe('the pipeline API (operators only)', () => {
  it('answers 403 FORBIDDEN to a key that is not an operator, on every route', async () => {
    for (const [method, path, body] of [
      ['GET', '/pipeline', undefined],
      ['GET', '/pipeline/dlq/ocr', undefined],
      ['POST', '/pipeline/dlq/ocr/redrive', '{}'],
    ] as const) {
      const res = await call(method, path, { bearer: ALICE, ...(body ? { body } : {}) });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(bodyOf<{ error: { code: string } }>(res).error.code).toBe('FORBIDDEN');
    }
    // Nothing was redriven by the refused call.
    expect(await deadLetters('ocr')).toHaveLength(1);
  });

  it('GET /pipeline shows jobs by status, the three queues with their DLQ depths, and no unfinished runs', async () => {
    const res = await call('GET', '/pipeline');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers?.['cache-control']).toBe('no-store');
    expect(bodyOf(res)).toEqual({
      jobs: { by_status: { PENDING: 0, PROCESSING: 0, COMPLETED: 1, FAILED: 0 }, capped: [] },
      queues: [
        { name: 'ocr', depth: 0, in_flight: 0, dlq_depth: 1 },
        { name: 'ocr-results', depth: 0, in_flight: 0, dlq_depth: 0 },
        { name: 'compaction', depth: 0, in_flight: 0, dlq_depth: 0 },
      ],
      compaction_runs: [],
    });
  });

  it('GET /pipeline/dlq/ocr lists the poison message with the reason the worker gave', async () => {
    const [message, ...rest] = await deadLetters('ocr');
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ body_preview: 'this is not json', receive_count: 1 });
    expect(message!.error).toMatch(/^POISON_MESSAGE: .*not JSON/);
    expect(Number.isNaN(Date.parse(message!.sent_at!))).toBe(false);
    expect(await deadLetters('ocr-results')).toEqual([]);
  });

  it('refuses bad input by name: an unknown queue (404), a limit out of range, a body that is not a JSON object', async () => {
    expect((await call('GET', '/pipeline/dlq/nope')).statusCode).toBe(404);
    const limit = await call('GET', '/pipeline/dlq/ocr', { query: { limit: '0' } });
    expect(limit.statusCode).toBe(400);
    expect(bodyOf<{ error: { message: string } }>(limit).error.message).toMatch(/limit/);
    for (const options of [{ json: false, body: '{}' }, { body: '' }, { body: '[]' }, { body: 'all' }]) {
      const res = await call('POST', '/pipeline/dlq/ocr/redrive', options);
      expect(res.statusCode, JSON.stringify(options)).toBe(400);
      expect(bodyOf<{ error: { code: string; message: string } }>(res).error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/body/),
      });
    }
    const unknown = await call('POST', '/pipeline/dlq/ocr/redrive', { body: '{"id":"x"}' });
    expect(unknown.statusCode).toBe(400);
    expect(await deadLetters('ocr')).toHaveLength(1);
  });

  it('POST …/redrive with message_id moves it back once (a repeat redrives 0); the worker dead-letters it again', async () => {
    const [message] = await deadLetters('ocr');
    const body = JSON.stringify({ message_id: message!.message_id });
    const first = await call('POST', '/pipeline/dlq/ocr/redrive', { body });
    expect(first.statusCode, first.body).toBe(200);
    expect(bodyOf(first)).toEqual({ redriven: 1 });
    expect(bodyOf(await call('POST', '/pipeline/dlq/ocr/redrive', { body }))).toEqual({ redriven: 0 });
    expect(await deadLetters('ocr')).toEqual([]);
    expect(await runtime.adapters.ocrQueue.backlog()).toBe(1);
    // Its cause is not fixed: worked again, it comes back, as a new message.
    await runtime.drain();
    const [again] = await deadLetters('ocr');
    expect(again?.body_preview).toBe('this is not json');
    expect(again?.message_id).not.toBe(message!.message_id);
    expect(bodyOf(await call('POST', '/pipeline/dlq/ocr/redrive', { body: '{}' }))).toEqual({ redriven: 1 });
    expect(await deadLetters('ocr')).toEqual([]);
  });
});

describe('localOperators', () => {
  it("is the keys' owners, or the default owner in open mode", () => {
    expect(localOperators([])).toEqual(['default']);
    expect(localOperators(['abc', { owner: 'ops', sha256: 'def' }, { owner: 'ops', sha256: '123' }])).toEqual([
      'default',
      'ops',
    ]);
  });
});
