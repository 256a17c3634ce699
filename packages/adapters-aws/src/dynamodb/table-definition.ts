import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

/**
 * The single job table, as data: tests create it on dynalite from this and infra mirrors it,
 * so the two cannot drift apart. Names follow the brief's deployment contract.
 */
export const JOB_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Jobs by status (`OCR_JOB_STATUS#<status>`) and unfinished compaction runs. */
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /** Receipt places by Places place_id (`PLACE#<place_id>`). */
  gsi2: { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  /** Epoch seconds; DynamoDB deletes the row some time after this passes. */
  ttlAttribute: 'ttl',
  /** Which item an image is; stream records are mapped to domain changes by it. */
  entityAttribute: 'entity',
  streamViewType: 'NEW_AND_OLD_IMAGES',
  billingMode: 'PAY_PER_REQUEST',
} as const;

export const JOB_TABLE_KEY_SCHEMA: readonly KeySchemaElement[] = [
  { AttributeName: JOB_TABLE.partitionKey, KeyType: 'HASH' },
  { AttributeName: JOB_TABLE.sortKey, KeyType: 'RANGE' },
];

export const JOB_TABLE_ATTRIBUTE_DEFINITIONS: readonly AttributeDefinition[] = [
  JOB_TABLE.partitionKey,
  JOB_TABLE.sortKey,
  JOB_TABLE.gsi1.partitionKey,
  JOB_TABLE.gsi1.sortKey,
  JOB_TABLE.gsi2.partitionKey,
  JOB_TABLE.gsi2.sortKey,
].map((name) => ({ AttributeName: name, AttributeType: 'S' }));

export const JOB_TABLE_GLOBAL_SECONDARY_INDEXES: readonly GlobalSecondaryIndex[] = [JOB_TABLE.gsi1, JOB_TABLE.gsi2].map(
  (gsi) => ({
    IndexName: gsi.indexName,
    KeySchema: [
      { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
      { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
    ],
    // ALL: list queries decode whole records from the index without a second read.
    Projection: { ProjectionType: 'ALL' },
  }),
);

/**
 * The CreateTable request for the job table. `withStream` is off for dynalite, which has no
 * Streams API; TTL is a separate UpdateTimeToLive call that infra makes.
 */
export function jobTableCreateInput(
  tableName: string,
  options: { withStream?: boolean } = {},
): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: JOB_TABLE.billingMode,
    KeySchema: [...JOB_TABLE_KEY_SCHEMA],
    AttributeDefinitions: [...JOB_TABLE_ATTRIBUTE_DEFINITIONS],
    GlobalSecondaryIndexes: [...JOB_TABLE_GLOBAL_SECONDARY_INDEXES],
    ...(options.withStream
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: JOB_TABLE.streamViewType } }
      : {}),
  };
}
