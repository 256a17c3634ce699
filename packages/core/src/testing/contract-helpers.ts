import { afterEach, beforeEach, describe } from 'vitest';

/** Helpers shared by the contract suites. */

/**
 * What every contract factory returns: the adapter under test, fresh for each test, and how to
 * dispose of it. Suites whose adapters need more (a clock to advance, a second store over the same
 * storage) extend it.
 */
export interface ContractSubject<T> {
  subject: T;
  cleanup?: () => Promise<void> | void;
}

/**
 * Registers the `beforeEach`/`afterEach` pair every contract suite needs: a fresh subject from
 * `factory` before each test, handed to `use` (which keeps what the suite needs of it), and its
 * cleanup after each test, also when the test failed. Call it inside the suite's `describe`.
 *
 * @example
 * let store: SnapshotStore;
 * withFreshSubject(factory, (created) => {
 *   store = created.subject;
 * });
 */
export function withFreshSubject<F extends ContractSubject<unknown>>(
  factory: () => Promise<F>,
  use: (created: F) => void,
): void {
  let cleanup: (() => Promise<void> | void) | undefined;
  beforeEach(async () => {
    const created = await factory();
    cleanup = created.cleanup;
    use(created);
  });
  afterEach(async () => {
    const dispose = cleanup;
    cleanup = undefined;
    await dispose?.();
  });
}

export function sorted<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Defines a port's contract suite once and returns the `describe<Port>Contract(name, factory)`
 * that each adapter's test calls. `body` declares the tests against `subject`, a stand-in that
 * forwards every property and call to the fresh adapter the factory made for the running test
 * (so test bodies read `store.get(...)` and never see the per-test setup), and `fixture()`, the
 * whole value the factory returned, for suites whose factories return more than the subject.
 *
 * @example
 * export const describeSnapshotStoreContract = defineContract<SnapshotStore>('SnapshotStore', (store) => {
 *   it('has no pointer before the first promotion', async () => {
 *     expect(await store.current('lines')).toBeNull();
 *   });
 * });
 */
export function defineContract<T extends object, F extends ContractSubject<T> = ContractSubject<T>>(
  port: string,
  body: (subject: T, fixture: () => F) => void,
): (name: string, factory: () => Promise<F>) => void {
  return (name, factory) => {
    describe(`${port} contract: ${name}`, () => {
      let current: F | undefined;
      withFreshSubject(factory, (created) => {
        current = created;
      });
      // Read only inside tests, after withFreshSubject's beforeEach has set it.
      const fixture = (): F => current!;
      body(
        liveSubject(() => fixture().subject),
        fixture,
      );
    });
  };
}

/**
 * A stand-in for whatever `current()` returns at the time of each access. Methods are bound to the
 * real object, so adapters with `#private` fields work through it.
 */
function liveSubject<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const target = current();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
    has: (_target, property) => Reflect.has(current(), property),
  });
}

export function shuffled<T>(items: T[]): T[] {
  // Deterministic reversal-interleave, enough to prove the store sorts on read.
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) {
    out.push(items[i % 2 === 0 ? items.length - 1 - i / 2 : (i - 1) / 2] as T);
  }
  return out;
}
