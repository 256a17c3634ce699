import { ValidationError } from '@receiptflow/core';
import type * as z from 'zod';

/** Helpers the in-memory stores share: validation on the way in, and ordering of listings. */

/** Parses with a zod schema, or throws ValidationError naming `what` and each issue's path. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      `${what} is invalid`,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** The defined fields of `patch` among `keys` (an update names only what it sets). */
export function pick<T extends object, K extends keyof T>(patch: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (patch[key] !== undefined) out[key] = patch[key];
  return out;
}

/** Epoch ms of an ISO bound, or ValidationError naming the bound. */
export function isoMillis(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(`${what} "${value}" is not an ISO date`);
  return ms;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function limited<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, Math.max(0, limit));
}
