import { describe, expect, it } from 'vitest';
import {
  PoisonMessageError,
  TransientDependencyError,
  ValidationError,
  type RunOcrJobOutcome,
} from '@receiptflow/core';
import { InMemoryQueue } from '@receiptflow/adapters-local';
import { backoffDelayMs } from '../src/backoff.js';
import { completed, harness, jobBody, recordingQueue } from './support/worker-harness.js';

const MINUTE = 60_000;

describe('Worker: heartbeat', () => {
  it('keeps a 10-minute job invisible past a 30 s visibility timeout, so it runs once', async () => {
    const h = harness();
    await h.queue.send(jobBody('slow'));
    let runs = 0;
    // Continuous with two slots: the worker keeps polling while the job runs, so a lapsed
    // visibility would hand it the same message again.
    const worker = h.worker(
      async () => {
        runs += 1;
        await h.clock.sleep(10 * MINUTE);
        worker.stop();
        return completed('slow');
      },
      { continuous: true, concurrency: 2, waitSeconds: 20, leaseSeconds: 30, jobTimeoutMs: 60 * MINUTE },
    );
    const summary = await h.clock.runUntil(worker.run());

    expect(runs).toBe(1);
    const beats = h.callsOf('extendLease');
    expect(beats.length).toBeGreaterThanOrEqual(59); // one per 10 s over 10 minutes
    expect(beats.every(([seconds]) => seconds === 30)).toBe(true);
    expect(h.callsOf('ack')).toHaveLength(1);
    expect(await h.queue.depth()).toEqual({ visible: 0, inFlight: 0 });
    expect(summary).toMatchObject({ stop_reason: 'stopped', jobs_done: 1, messages_redelivered: 0 });
  });

  it('goes on with the job when a heartbeat call fails', async () => {
    const h = harness();
    await h.queue.send(jobBody('a'));
    let failNext = true;
    const flaky = recordingQueue(h.queue, (method) => {
      if (method === 'extendLease' && failNext) {
        failNext = false;
        throw new TransientDependencyError('sqs', 'ChangeMessageVisibility throttled');
      }
    });
    const worker = h.worker(
      async () => {
        await h.clock.sleep(MINUTE);
        return completed('a');
      },
      {},
      { ocrQueue: flaky },
    );
    const summary = await h.clock.runUntil(worker.run());

    expect(summary.jobs_done).toBe(1);
    expect(h.logger.entries.some((e) => e.message.startsWith('heartbeat failed'))).toBe(true);
    expect(await h.queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe('Worker: settling messages', () => {
  // docs/lessons.md#lesson-5-one-poison-message-stopped-the-ocr-drain
  it('poison messages go to the DLQ with their reason while the good jobs complete, and only done work is acked', async () => {
    const h = harness(2);
    for (const id of ['good-1', 'deleted-job', 'good-2', 'missing-image', 'good-3']) await h.queue.send(jobBody(id));
    const done: string[] = [];
    const worker = h.worker(
      async (body) => {
        const { job_id } = JSON.parse(body) as { job_id: string };
        if (job_id === 'deleted-job') throw new PoisonMessageError(`job not found: ${job_id}`);
        if (job_id === 'missing-image') throw new PoisonMessageError(`image missing for job ${job_id}`);
        await h.clock.sleep(2000);
        done.push(job_id);
        return completed(job_id);
      },
      { concurrency: 3 },
    );
    const summary = await h.clock.runUntil(worker.run());

    expect(done.sort()).toEqual(['good-1', 'good-2', 'good-3']);
    expect(summary.stop_reason).toBe('drained');
    expect(summary.jobs_done).toBe(3);
    expect(summary.jobs_failed).toBe(2);
    // Dead-lettered on their first delivery, each with the error that made it poison.
    expect(await h.queue.depth()).toEqual({ visible: 0, inFlight: 0 });
    const dead = await h.dlq.receive({ maxMessages: 10 });
    expect(dead.map((m) => m.deadLettered?.reason).sort()).toEqual([
      'POISON_MESSAGE: image missing for job missing-image',
      'POISON_MESSAGE: job not found: deleted-job',
    ]);
    expect(dead.every((m) => m.deadLettered?.sourceQueue === 'ocr-queue' && m.deadLettered.receiveCount === 1)).toBe(
      true,
    );
    // Only the good messages were acked, one call each; nothing was released.
    expect(h.callsOf('ack')).toHaveLength(3);
    expect(h.callsOf('deadLetter')).toHaveLength(2);
    expect(h.callsOf('retryLater')).toEqual([]);
    const poisonLogs = h.logger.entries.filter((e) => e.message === 'poison message skipped');
    expect(poisonLogs.map((e) => e.fields.job_id)).toEqual(expect.arrayContaining(['deleted-job', 'missing-image']));
    expect(poisonLogs.every((e) => typeof e.fields.message_id === 'string')).toBe(true);
  });

  it('treats a malformed body and an undecodable image as poison', async () => {
    const h = harness(1);
    await h.queue.send('{not json');
    await h.queue.send(jobBody('not-an-image'));
    const worker = h.worker(async (body) => {
      if (body.startsWith('{not')) throw new PoisonMessageError('malformed ocr-queue message');
      throw new ValidationError('image could not be decoded');
    });
    const summary = await h.clock.runUntil(worker.run());
    expect(summary).toMatchObject({ jobs_done: 0, jobs_failed: 2, jobs_retried: 0 });
    expect(await h.dlq.depth()).toEqual({ visible: 2, inFlight: 0 });
    expect(h.callsOf('ack')).toEqual([]);
  });

  it('a queue without a dead-letter queue: the poison message is released for the redrive policy, not lost', async () => {
    const h = harness();
    const bare = new InMemoryQueue({ name: 'bare-queue', clock: h.clock });
    const spy = recordingQueue(bare);
    await bare.send('{"job_id": 42}');
    await bare.send(jobBody('ok'));
    const worker = h.worker(
      async (body) => {
        if (body.includes('42')) throw new PoisonMessageError('malformed');
        return completed('ok');
      },
      // With no DLQ and no redrive, the released message would come back forever: stop after 2.
      { maxJobs: 2, concurrency: 2 },
      { ocrQueue: spy },
    );
    const summary = await h.clock.runUntil(worker.run());
    expect(summary).toMatchObject({ jobs_done: 1, jobs_failed: 1 });
    expect(spy.calls.filter((c) => c.method === 'retryLater').map((c) => c.args)).toEqual([[0]]);
    expect(h.logger.entries.some((e) => e.message.startsWith('could not dead-letter'))).toBe(true);
    const [back] = await bare.receive();
    expect(back?.body).toBe('{"job_id": 42}');
  });

  it('leaves a message that failed for redelivery, and completes it on the next delivery', async () => {
    const h = harness();
    await h.queue.send(jobBody('flaky'));
    let attempts = 0;
    const step = async (): Promise<RunOcrJobOutcome> => {
      attempts += 1;
      if (attempts === 1) throw new TransientDependencyError('s3', 'GetObject: 503 Slow Down');
      return completed('flaky');
    };
    const first = await h.clock.runUntil(h.worker(step).run());
    expect(first).toMatchObject({ stop_reason: 'drained', jobs_done: 0, jobs_retried: 1 });
    expect(h.callsOf('ack')).toEqual([]);
    expect(h.callsOf('retryLater')).toEqual([]);
    expect(await h.queue.depth()).toEqual({ visible: 0, inFlight: 1 });

    await h.clock.advance(31_000); // the visibility timeout lapses
    const second = await h.clock.runUntil(h.worker(step).run());
    expect(second).toMatchObject({ jobs_done: 1, messages_redelivered: 1 });
    expect(await h.queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deletes the redelivered message of a job that had already completed (duplicate)', async () => {
    const h = harness();
    await h.queue.send(jobBody('done-before'));
    const summary = await h.clock.runUntil(
      h.worker(async () => ({ status: 'duplicate', job_id: 'done-before' })).run(),
    );
    expect(summary).toMatchObject({ jobs_done: 1, jobs_duplicate: 1 });
    expect(h.callsOf('ack')).toHaveLength(1);
  });

  it('survives a failed ack (the redelivery will be a duplicate)', async () => {
    const h = harness();
    await h.queue.send(jobBody('a'));
    await h.queue.send(jobBody('b'));
    const flaky = recordingQueue(h.queue, (method) => {
      if (method === 'ack') throw new TransientDependencyError('sqs', 'DeleteMessage: connection reset');
    });
    const summary = await h.clock.runUntil(
      h
        .worker(async (body) => completed((JSON.parse(body) as { job_id: string }).job_id), {}, { ocrQueue: flaky })
        .run(),
    );
    expect(summary.jobs_done).toBe(2);
    expect(h.logger.entries.filter((e) => e.message.startsWith('ack failed'))).toHaveLength(2);
  });
});

// docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s
describe('Worker: job deadline', () => {
  it('abandons a job stuck past its deadline: the heartbeat stops and the message comes back', async () => {
    const h = harness();
    await h.queue.send(jobBody('stalled'));
    await h.queue.send(jobBody('fine'));
    const worker = h.worker(
      async (body) => {
        if (body.includes('stalled')) return new Promise<RunOcrJobOutcome>(() => {}); // a download that never ends
        return completed('fine');
      },
      { concurrency: 1, jobTimeoutMs: 5 * MINUTE, leaseSeconds: 30 },
    );
    const summary = await h.clock.runUntil(worker.run());
    expect(summary).toMatchObject({ stop_reason: 'drained', jobs_done: 1, jobs_retried: 1 });
    expect(
      h.logger.entries.some((e) => e.message.startsWith('job exceeded its deadline') && e.fields.job_id === 'stalled'),
    ).toBe(true);
    // The abandoned job's lease is lost, so it is never settled: only 'fine' is acked.
    expect(h.callsOf('ack')).toHaveLength(1);
    expect(h.callsOf('retryLater')).toEqual([]);
    // No beats after the deadline: the message is visible again once its timeout lapses.
    await h.clock.advance(31_000);
    expect(await h.queue.depth()).toEqual({ visible: 1, inFlight: 0 });
  });
});

describe('Worker: polling', () => {
  it('backs off with jitter after failed receives, then carries on', async () => {
    const h = harness();
    await h.queue.send(jobBody('after-outage'));
    let failures = 3;
    const outage = recordingQueue(h.queue, (method) => {
      if (method === 'receive' && failures > 0) {
        failures -= 1;
        throw new TransientDependencyError('sqs', 'ReceiveMessage: connect ECONNREFUSED');
      }
    });
    const slept: number[] = [];
    const sleep = h.clock.sleep.bind(h.clock);
    h.clock.sleep = (ms, signal) => {
      slept.push(ms);
      return sleep(ms, signal);
    };
    const worker = h.worker(
      async () => completed('after-outage'),
      {
        backoff: { baseMs: 200, maxMs: 5000 },
        random: () => 0.5,
      },
      { ocrQueue: outage },
    );
    const summary = await h.clock.runUntil(worker.run());

    expect(summary).toMatchObject({ jobs_done: 1, receive_errors: 3 });
    // Equal jitter at random 0.5: three quarters of each doubling cap.
    expect(slept.slice(0, 3)).toEqual([150, 300, 600]);
    expect(h.logger.entries.filter((e) => e.message === 'receive failed; backing off')).toHaveLength(3);
  });

  it('keeps each backoff delay between half the cap and the cap, capped at maxMs', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    for (let attempt = 0; attempt < 10; attempt++) {
      const cap = Math.min(1000, 100 * 2 ** attempt);
      expect(backoffDelayMs(attempt, policy, () => 0)).toBe(cap / 2);
      expect(backoffDelayMs(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(cap);
    }
  });

  it('takes no more than --max-jobs messages, leaving the rest untouched', async () => {
    const h = harness();
    for (const id of ['1', '2', '3', '4', '5']) await h.queue.send(jobBody(id));
    const seen: string[] = [];
    const summary = await h.clock.runUntil(
      h
        .worker(
          async (body) => {
            seen.push(body);
            return completed('x');
          },
          { maxJobs: 2, concurrency: 4 },
        )
        .run(),
    );
    expect(summary).toMatchObject({ stop_reason: 'max-jobs', jobs_done: 2 });
    expect(seen).toHaveLength(2);
    expect(await h.queue.depth()).toEqual({ visible: 3, inFlight: 0 });
  });

  it('on stop(), finishes the job in flight, deletes it and takes nothing more', async () => {
    const h = harness();
    await h.queue.send(jobBody('in-flight'));
    await h.queue.send(jobBody('next'));
    const started: string[] = [];
    const worker = h.worker(
      async (body) => {
        started.push(body);
        await h.clock.sleep(5 * MINUTE);
        return completed('in-flight');
      },
      { continuous: true, concurrency: 1 },
    );
    const running = worker.run();
    await h.clock.advance(MINUTE); // the job is running
    worker.stop();
    const summary = await h.clock.runUntil(running);

    expect(started).toEqual([jobBody('in-flight')]);
    expect(summary).toMatchObject({ stop_reason: 'stopped', jobs_done: 1 });
    expect(h.callsOf('ack')).toHaveLength(1);
    expect(h.callsOf('receive')).toHaveLength(1);
    expect(await h.queue.depth()).toEqual({ visible: 1, inFlight: 0 });
  });

  it('releases messages that a long poll returns after stop()', async () => {
    const h = harness();
    const worker = h.worker(async () => completed('never'), { continuous: true, waitSeconds: 20 });
    const running = worker.run();
    await h.clock.advance(1000); // polling an empty queue
    worker.stop();
    await h.queue.send(jobBody('late')); // arrives while the poll is still open
    const summary = await h.clock.runUntil(running);
    expect(summary.jobs_done).toBe(0);
    expect(await h.queue.depth()).toEqual({ visible: 1, inFlight: 0 });
  });

  it('logs periodic metrics in continuous mode and a final summary', async () => {
    const h = harness();
    await h.queue.send(jobBody('a'));
    const worker = h.worker(async () => completed('a', 1500), {
      continuous: true,
      waitSeconds: 20,
      metricsIntervalMs: MINUTE,
    });
    const running = worker.run();
    await h.clock.advance(3 * MINUTE);
    worker.stop();
    await h.clock.runUntil(running);
    const periodic = h.logger.entries.filter((e) => e.message === 'worker metrics');
    expect(periodic.length).toBeGreaterThanOrEqual(2);
    expect(periodic[0]?.fields).toMatchObject({ jobs_done: 1, ocr_ms_avg: 1500 });
    const final = h.logger.entries.find((e) => e.message === 'worker finished');
    expect(final?.fields).toMatchObject({
      stop_reason: 'stopped',
      jobs_done: 1,
      jobs_failed: 0,
      jobs_retried: 0,
      ocr_ms_max: 1500,
    });
  });
});
