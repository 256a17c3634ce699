import * as z from 'zod';
import { schema } from '../schema.js';

/** image and job ids are opaque, URL- and key-safe strings (UUIDs by default). */
export const IdSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "_" and "-"'),
);

export const ReceiptIdSchema = /* @__PURE__ */ schema(() => z.number().int().positive().max(99_999));

export const CollectionSchema = /* @__PURE__ */ schema(() => z.enum(['lines', 'words']));
export type Collection = z.infer<typeof CollectionSchema>;
export const COLLECTIONS: readonly Collection[] = ['lines', 'words'];

const pad = (n: number) => String(n).padStart(5, '0');

/** Deterministic vector ids, so that re-upserting a receipt replaces rather than duplicates. */
export function lineVectorId(imageId: string, receiptId: number, lineId: number): string {
  return `IMAGE#${imageId}#RECEIPT#${pad(receiptId)}#LINE#${pad(lineId)}`;
}

export function wordVectorId(imageId: string, receiptId: number, lineId: number, wordId: number): string {
  return `${lineVectorId(imageId, receiptId, lineId)}#WORD#${pad(wordId)}`;
}

export function receiptKey(imageId: string, receiptId: number): string {
  return `IMAGE#${imageId}#RECEIPT#${pad(receiptId)}`;
}
