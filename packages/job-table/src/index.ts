/**
 * The job table's key layout, shared by the DynamoDB adapters (`@receiptflow/adapters-aws`) and
 * the local ones (`@receiptflow/adapters-local`) so the two can never drift apart. Pure: only
 * string building, no I/O, no SDK.
 */
export * from './keys.js';
export { rowKeyOf, type KeyFields } from './row-key.js';
