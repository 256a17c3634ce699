import { IllegalTransitionError } from '../errors.js';

/** A transition table: for each state, the states it may move to. */
export type Transitions<S extends string> = Readonly<Record<S, readonly S[]>>;

export function canTransition<S extends string>(table: Transitions<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

export function assertTransition<S extends string>(entity: string, table: Transitions<S>, from: S, to: S): void {
  if (!canTransition(table, from, to)) throw new IllegalTransitionError(entity, from, to);
}
