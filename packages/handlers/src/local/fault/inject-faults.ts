import type { Collection, SnapshotPointer } from '@receiptflow/core';
import type { LocalAdapters } from '../local-adapters.js';
import type { FaultEvent } from './fault-plan.js';
import type { FaultInjector } from './fault-injector.js';

/** Maps one resolved call (its arguments and result) to the event it completes, if any. */
type Hooks<T> = { [K in keyof T]?: (args: unknown[], result: unknown) => FaultEvent | null };

/**
 * The adapters with fault points: each named method reports its event to the injector after it
 * resolved. Decorators, so that core and the adapters carry no test hook; every other method and
 * `instanceof` pass through to the real adapter.
 */
export function withFaults(adapters: LocalAdapters, fault: FaultInjector): LocalAdapters {
  return {
    ...adapters,
    rawImages: after(adapters.rawImages, fault, { put: () => 'image-stored' }),
    artifacts: after(adapters.artifacts, fault, { put: () => 'ocr-stored' }),
    // Deltas are written as streams (putStream); `put` stays hooked for anything written whole.
    deltas: after(adapters.deltas, fault, {
      put: ([key]) => `delta-${collectionOfDelta(String(key))}` as FaultEvent,
      putStream: ([key]) => `delta-${collectionOfDelta(String(key))}` as FaultEvent,
    }),
    jobs: after(adapters.jobs, fault, { createJob: () => 'job-created' }),
    receipts: after(adapters.receipts, fault, {
      create: (_, result) => ((result as { created: boolean }).created ? 'receipt-rows' : null),
      putPlace: () => 'place-stored',
    }),
    runs: after(adapters.runs, fault, { create: () => 'run-created' }),
    vectors: after(adapters.vectors, fault, { upsert: ([collection]) => `merge-${collection as Collection}` }),
    snapshots: after(adapters.snapshots, fault, {
      promote: ([next]) => `promoted-${(next as SnapshotPointer).collection}`,
    }),
  };
}

function collectionOfDelta(key: string): Collection {
  // deltas/<collection>/<run_id>.bin (.json before format 2)
  return key.split('/')[1] === 'words' ? 'words' : 'lines';
}

function after<T extends object>(target: T, fault: FaultInjector, hooks: Hooks<T>): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const hook = hooks[property as keyof T];
      if (!hook) return value.bind(object);
      return async (...args: unknown[]) => {
        const result: unknown = await value.apply(object, args);
        const event = hook(args, result);
        if (event) fault.passed(event);
        return result;
      };
    },
  });
}
