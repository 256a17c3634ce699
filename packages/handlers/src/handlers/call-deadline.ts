import { DeadlineExceededError, withDeadline, type Clock, type Embedder, type PlacesResolver } from '@receiptflow/core';

/**
 * The longest one call of each slow external port can take, retries and their waits included
 * (the composition root computes them from the limits it gives the adapters).
 */
export interface CallBudgets {
  /** One `embed` call: OpenAI attempts × request timeout + the waits between them. */
  embedMs: number;
  /** One Places lookup: attempts × timeout + the waits between them. */
  placesMs: number;
}

/**
 * Runs `call` only if its worst case fits before `deadline`, and abandons it at the deadline
 * (the promise keeps running; its outcome is ignored). Either way the caller gets a
 * DeadlineExceededError naming the call, so the message can go back to its queue before the
 * Lambda is killed.
 *
 * @example
 * await callWithin(clock, deadline, 'openai embed', 110_000, () => embedder.embed(texts));
 */
export function callWithin<T>(
  clock: Clock,
  deadline: number,
  what: string,
  budgetMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const left = deadline - clock.now();
  if (left < budgetMs) {
    return Promise.reject(
      new DeadlineExceededError(`${what} not started: ${Math.max(0, left)} ms left, it may take ${budgetMs} ms`),
    );
  }
  return withDeadline(clock, deadline, what, call());
}

/**
 * The embedder and the Places resolver of one invocation, each call limited by
 * {@link callWithin}: a call that cannot finish before the deadline is not started.
 *
 * @example
 * const limited = { ...deps, ...slowPortsWithin(deps, deadline, { embedMs: 110_000, placesMs: 25_000 }) };
 */
export function slowPortsWithin(
  deps: { clock: Clock; embedder: Embedder; places: PlacesResolver },
  deadline: number,
  budgets: CallBudgets,
): { embedder: Embedder; places: PlacesResolver } {
  const { clock, embedder, places } = deps;
  return {
    embedder: {
      model: embedder.model,
      dimensions: embedder.dimensions,
      embed: (texts) => callWithin(clock, deadline, 'openai embed', budgets.embedMs, () => embedder.embed(texts)),
    },
    places: {
      findByPhone: (phone) =>
        callWithin(clock, deadline, 'places findByPhone', budgets.placesMs, () => places.findByPhone(phone)),
      searchText: (query) =>
        callWithin(clock, deadline, 'places searchText', budgets.placesMs, () => places.searchText(query)),
      getPlace: (placeId) =>
        callWithin(clock, deadline, 'places getPlace', budgets.placesMs, () => places.getPlace(placeId)),
    },
  };
}
