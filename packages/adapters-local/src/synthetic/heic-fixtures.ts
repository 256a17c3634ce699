import { readFileSync } from 'node:fs';
import { demoReceipts, type DemoReceipt } from './demo-receipts.js';
import type { ExifOrientation } from './orientation.js';

/** The demo receipt the committed HEIC fixtures show (seed 1, the first: HARBOR LANE GROCERY). */
export const HEIC_FIXTURE_RECEIPT: DemoReceipt = demoReceipts(1)[0]!;

/**
 * The committed HEIC of {@link HEIC_FIXTURE_RECEIPT} stored with orientation `o`: its pixels
 * turned as a phone stores them, and `irot`/`imir` in the container that show it upright. Made by
 * scripts/make-heic-fixtures.ts with libheif's heif-enc (CI needs no encoder).
 *
 * @example
 * const heic = readHeicFixture(6); // stored a quarter turn anticlockwise, irot 270
 */
export function readHeicFixture(o: ExifOrientation): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/heic/receipt-o${o}.heic`, import.meta.url)));
}
