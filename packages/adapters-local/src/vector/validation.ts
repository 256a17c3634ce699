import { ValidationError, type VectorQuery, type VectorRecord } from '@receiptflow/core';

/** Largest k a query may ask for (the port's 1..100). */
export const MAX_K = 100;

/**
 * Checks every record before anything is written, so that a bad record rejects the whole call
 * (no partial upsert), and returns the records with duplicate ids collapsed to the last one.
 */
export function validateRecords(records: readonly VectorRecord[], dimensions: number): VectorRecord[] {
  const issues: string[] = [];
  for (const record of records) {
    if (typeof record.id !== 'string' || record.id.length === 0) issues.push('a record has an empty id');
    else if (record.vector.length !== dimensions)
      issues.push(`record ${record.id} has ${record.vector.length} dimensions, expected ${dimensions}`);
    else if (!record.vector.every(Number.isFinite)) issues.push(`record ${record.id} has a non-finite vector value`);
  }
  if (issues.length > 0) throw new ValidationError('invalid vector records', issues.slice(0, 10));
  const last = new Map<string, VectorRecord>();
  for (const record of records) {
    last.delete(record.id); // keep the order of the last occurrence
    last.set(record.id, record);
  }
  return [...last.values()];
}

export function validateQuery(query: VectorQuery, dimensions: number): void {
  if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_K)
    throw new ValidationError('invalid vector query', [`k must be an integer in 1..${MAX_K}, got ${query.k}`]);
  if (query.vector.length !== dimensions)
    throw new ValidationError('invalid vector query', [
      `query vector has ${query.vector.length} dimensions, expected ${dimensions}`,
    ]);
  if (!query.vector.every(Number.isFinite))
    throw new ValidationError('invalid vector query', ['query vector has a non-finite value']);
}
