import { FakeClock } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import type { Embedder, LeasedMessage } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { externalCallBudgets } from '../src/container/aws/external-call-limits.js';
import {
  createProcessOcrResultsHandler,
  DEADLINE_RETRY_DELAY_SECONDS,
} from '../src/handlers/process-ocr-results-handler.js';
import { DEADLINE_MARGIN_MS, type InvocationContext } from '../src/handlers/sqs-event.js';
import { collectingLogger, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

/** process-OCR-results' Lambda timeout (infra's function spec). */
const FUNCTION_TIMEOUT_MS = 300_000;
const BUDGETS = { embedMs: 110_000, placesMs: 25_000 };

/** Uploads a synthetic receipt and runs OCR; returns the ocr-results-queue body. */
async function resultsBody(p: LocalPipeline): Promise<string> {
  const receipt = demoReceipts()[0]!;
  const bytes = p.ocr.register('d0', specLines(receipt.spec));
  await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
  await p.runOcr();
  const [message] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  await message!.ack();
  return message!.body;
}

/** A leased message that records how it was settled. */
function recordingMessage(body: string) {
  const settled: string[] = [];
  const message: LeasedMessage = {
    id: 'm1',
    body,
    receiveCount: 1,
    ack: async () => void settled.push('ack'),
    retryLater: async (seconds) => void settled.push(`retryLater ${seconds}`),
    deadLetter: async () => void settled.push('deadLetter'),
    extendLease: async () => {},
  };
  return { message, settled };
}

function lambdaContext(clock: FakeClock, remainingMs: number): InvocationContext {
  const endsAt = clock.now() + remainingMs;
  return { awsRequestId: 'req', getRemainingTimeInMillis: () => endsAt - clock.now() };
}

function handlerFor(p: LocalPipeline, embedder: Embedder = p.adapters.embedder) {
  const a = p.adapters;
  return createProcessOcrResultsHandler(
    { ...a, embedder, logger: collectingLogger() },
    { callBudgets: BUDGETS, retryDelaySeconds: () => 30 },
  );
}

describe('process-OCR-results within its invocation deadline', () => {
  it('does not start a message whose embed call could not finish in time: it goes back in 1 s, nothing written', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const body = await resultsBody(p);
    const { message, settled } = recordingMessage(body);
    const callsBefore = p.adapters.embedder.calls;

    // 100 s left, less the margin, is under the 110 s an embed call may take.
    await handlerFor(p).consume([message], lambdaContext(clock, 100_000));

    expect(settled).toEqual([`retryLater ${DEADLINE_RETRY_DELAY_SECONDS}`]);
    expect(p.adapters.embedder.calls).toBe(callsBefore);
    const { image_id } = JSON.parse(body) as { image_id: string };
    expect(await p.adapters.receipts.list(image_id)).toEqual([]);
  });

  it('abandons a stalled embed call at the deadline and puts the message back before the Lambda would be killed', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const body = await resultsBody(p);
    const { message, settled } = recordingMessage(body);
    const stalled: Embedder = {
      model: p.adapters.embedder.model,
      dimensions: p.adapters.embedder.dimensions,
      embed: () => new Promise(() => {}),
    };
    const start = clock.now();

    await clock.runUntil(handlerFor(p, stalled).consume([message], lambdaContext(clock, 200_000)));

    expect(settled).toEqual([`retryLater ${DEADLINE_RETRY_DELAY_SECONDS}`]);
    expect(clock.now() - start).toBeLessThanOrEqual(200_000 - DEADLINE_MARGIN_MS);
  });

  it('without a Lambda context (local runtime) no deadline applies', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const { message, settled } = recordingMessage(await resultsBody(p));
    await handlerFor(p).consume([message]);
    expect(settled).toEqual(['ack']);
  });
});

describe('the OpenAI and Places limits the Lambda is built with', () => {
  it('fit an embed call and four Places lookups in the function timeout, less the margin', () => {
    const budgets = externalCallBudgets();
    expect(budgets).toEqual(BUDGETS);
    expect(budgets.embedMs + 4 * budgets.placesMs).toBeLessThan(FUNCTION_TIMEOUT_MS - DEADLINE_MARGIN_MS);
  });
});
