import * as z from 'zod';
import { schema } from '../schema.js';

/**
 * Who an image, its receipts and every query over them belong to: the owner name configured
 * beside an API key's hash. Names are short and key-safe because they become part of storage keys
 * (a DynamoDB partition per owner), never free text.
 */
export const OwnerSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._@-]+$/, 'must contain only letters, digits, ".", "_", "@" and "-"'),
);
export type Owner = z.infer<typeof OwnerSchema>;

/**
 * The owner of everything uploaded without an owner: open loopback mode (no keys configured), a
 * key configured without an owner name, and every row written before owners existed. Rows keep
 * `owner` absent rather than being rewritten, so reading them goes through {@link ownerOf}.
 */
export const DEFAULT_OWNER = 'default';

/**
 * The owner of an image or receipt row; absent means {@link DEFAULT_OWNER}.
 *
 * @example
 * if (ownerOf(image) !== caller) throw new NotFoundError(`no image ${imageId}`); // 404, never 403
 */
export function ownerOf(record: { owner?: string | undefined }): string {
  return record.owner ?? DEFAULT_OWNER;
}
