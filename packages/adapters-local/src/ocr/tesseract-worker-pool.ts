import type { Worker } from 'tesseract.js';

/**
 * A small pool of tesseract.js workers. Workers are created lazily (each costs about a second
 * and ~100 MB), reused across images, and at most `size` run at once; callers beyond that wait.
 * A worker whose job failed is thrown away rather than reused, since its state is unknown.
 */
export class TesseractWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();
  private readonly waiting: Array<() => void> = [];
  private starting = 0;
  /** Workers handed out before the last terminate() are retired when they come back. */
  private retired = new WeakSet<Worker>();

  constructor(
    private readonly size: number,
    private readonly createWorker: () => Promise<Worker>,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
  }

  /** Runs `job` on a worker; the worker returns to the pool if the job succeeds. */
  async use<T>(job: (worker: Worker) => Promise<T>): Promise<T> {
    const worker = await this.acquire();
    let healthy = false;
    try {
      const result = await job(worker);
      healthy = true;
      return result;
    } finally {
      this.release(worker, healthy);
    }
  }

  /** Stops every worker. The pool stays usable: the next job starts a fresh worker. */
  async terminate(): Promise<void> {
    const idle = this.idle.splice(0);
    for (const worker of this.busy) this.retired.add(worker);
    await Promise.allSettled(idle.map((worker) => worker.terminate()));
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      const idle = this.idle.pop();
      if (idle) {
        this.busy.add(idle);
        return idle;
      }
      if (this.busy.size + this.starting < this.size) {
        this.starting++;
        try {
          const worker = await this.createWorker();
          this.busy.add(worker);
          return worker;
        } finally {
          this.starting--;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(worker: Worker, healthy: boolean): void {
    this.busy.delete(worker);
    if (healthy && !this.retired.has(worker)) {
      this.idle.push(worker);
    } else {
      void worker.terminate().catch(() => undefined);
    }
    // Wake one waiter: it takes the idle worker, or starts a new one in the freed slot.
    this.waiting.shift()?.();
  }
}
