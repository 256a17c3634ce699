import * as aws from '@pulumi/aws';
import type { StackContext } from './context.js';

/** The job table's key and index attribute names (deployment contract). */
export const TABLE_KEYS = {
  hash: 'PK',
  range: 'SK',
  indexes: [
    { name: 'GSI1', hash: 'GSI1PK', range: 'GSI1SK' }, // jobs by status
    { name: 'GSI2', hash: 'GSI2PK', range: 'GSI2SK' }, // places by place_id
    { name: 'GSI3', hash: 'GSI3PK', range: 'GSI3SK' }, // an owner's receipts, newest first
    { name: 'GSI4', hash: 'GSI4PK', range: 'GSI4SK' }, // an owner's receipts at one place
    // An owner's merchants: the merchant list reads only the place copied onto each receipt row.
    { name: 'GSI5', hash: 'GSI5PK', range: 'GSI5SK', include: ['listed_place'] },
  ],
  ttlAttribute: 'ttl',
} as const;

/**
 * One on-demand DynamoDB table: PK/SK, GSI1 to GSI4 (all attributes projected, since the
 * adapters read whole items from them), GSI5 projecting only `listed_place` (the merchant list
 * reads many rows for little), a NEW_AND_OLD_IMAGES stream for the stream processor, TTL on
 * `ttl` and point-in-time recovery. Mirrors adapters-aws's JOB_TABLE (a test compares them);
 * access patterns: docs/adapters.md#access-patterns.
 */
export function createTable(ctx: StackContext): aws.dynamodb.Table {
  const attrs = [TABLE_KEYS.hash, TABLE_KEYS.range, ...TABLE_KEYS.indexes.flatMap((i) => [i.hash, i.range])];
  return new aws.dynamodb.Table('jobs-table', {
    name: `${ctx.prefix}-jobs`,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: TABLE_KEYS.hash,
    rangeKey: TABLE_KEYS.range,
    attributes: attrs.map((name) => ({ name, type: 'S' })),
    globalSecondaryIndexes: TABLE_KEYS.indexes.map((i) => ({
      name: i.name,
      keySchemas: [
        { attributeName: i.hash, keyType: 'HASH' },
        { attributeName: i.range, keyType: 'RANGE' },
      ],
      ...('include' in i ? { projectionType: 'INCLUDE', nonKeyAttributes: [...i.include] } : { projectionType: 'ALL' }),
    })),
    streamEnabled: true,
    streamViewType: 'NEW_AND_OLD_IMAGES',
    ttl: { attributeName: TABLE_KEYS.ttlAttribute, enabled: true },
    pointInTimeRecovery: { enabled: true },
    serverSideEncryption: { enabled: true },
    tags: ctx.tags,
  });
}
