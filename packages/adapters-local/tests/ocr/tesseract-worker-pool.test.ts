import { describe, expect, it } from 'vitest';
import type { Worker } from 'tesseract.js';
import { TesseractWorkerPool } from '../../src/ocr/index.js';

/** Stand-in workers: the pool only calls terminate() on them. */
function fakeWorkers() {
  const created: Array<{ id: number; terminated: boolean }> = [];
  const create = async (): Promise<Worker> => {
    const worker = { id: created.length, terminated: false, terminate: async () => void (worker.terminated = true) };
    created.push(worker);
    return worker as unknown as Worker;
  };
  return { created, create };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const idOf = (worker: Worker) => (worker as unknown as { id: number }).id;

describe('TesseractWorkerPool', () => {
  it('creates workers lazily and reuses an idle one', async () => {
    const { created, create } = fakeWorkers();
    const pool = new TesseractWorkerPool(2, create);
    expect(created).toHaveLength(0);
    await pool.use(async () => undefined);
    await pool.use(async () => undefined);
    expect(created).toHaveLength(1);
  });

  it('runs at most `size` jobs at once; the rest wait for a free worker', async () => {
    const { created, create } = fakeWorkers();
    const pool = new TesseractWorkerPool(2, create);
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let peak = 0;
    const jobs = gates.map((gate) =>
      pool.use(async (worker) => {
        running++;
        peak = Math.max(peak, running);
        await gate.promise;
        running--;
        return idOf(worker);
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(running).toBe(2);
    gates.forEach((g) => g.resolve());
    const ids = await Promise.all(jobs);
    expect(peak).toBe(2);
    expect(created).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('throws away a worker whose job failed and starts a fresh one next time', async () => {
    const { created, create } = fakeWorkers();
    const pool = new TesseractWorkerPool(1, create);
    await expect(pool.use(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(created[0]?.terminated).toBe(true);
    expect(await pool.use(async (worker) => idOf(worker))).toBe(1);
  });

  it('wakes a waiter when a failed job frees the only slot', async () => {
    const { create } = fakeWorkers();
    const pool = new TesseractWorkerPool(1, create);
    const gate = deferred();
    const failing = pool.use(async () => {
      await gate.promise;
      throw new Error('boom');
    });
    const waiting = pool.use(async (worker) => idOf(worker));
    gate.resolve();
    await expect(failing).rejects.toThrow('boom');
    expect(await waiting).toBe(1);
  });

  it('terminates idle workers at once and busy ones when their job ends', async () => {
    const { created, create } = fakeWorkers();
    const pool = new TesseractWorkerPool(2, create);
    const gate = deferred();
    const busy = pool.use(async () => gate.promise); // holds worker 0
    await new Promise((r) => setTimeout(r, 10));
    await pool.use(async () => undefined); // worker 1, idle afterwards
    await pool.terminate();
    expect(created.map((w) => w.terminated)).toEqual([false, true]);
    gate.resolve();
    await busy;
    expect(created.map((w) => w.terminated)).toEqual([true, true]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new TesseractWorkerPool(0, fakeWorkers().create)).toThrow(RangeError);
  });
});
