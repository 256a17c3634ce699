import { readFile } from 'node:fs/promises';
import { PlaceCandidateSchema, type PlaceCandidate, UsageError } from '@receiptflow/core';
import * as z from 'zod';

/** Reads a places catalog JSON (`[{place_id, name, formatted_address, phone}]`), validated. */
export async function loadCatalog(path: string): Promise<PlaceCandidate[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read places catalog ${path}: ${(error as Error).message}`);
  }
  const parsed = z.array(PlaceCandidateSchema).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(`places catalog ${path} is invalid at [${first?.path.join('.')}]: ${first?.message}`);
  }
  return parsed.data;
}
