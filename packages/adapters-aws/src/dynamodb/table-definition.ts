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
  /** An owner's receipts (`OWNER#<owner>`), by `<sort date>#<image_id>#<receipt_id>`: the listing. */
  gsi3: { indexName: 'GSI3', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
  /** An owner's receipts at one place (`OWNER#<owner>#PLACE#<place_id>`), same sort key: the merchant filter. */
  gsi4: { indexName: 'GSI4', partitionKey: 'GSI4PK', sortKey: 'GSI4SK' },
  /**
   * An owner's receipts that have a place (`OWNER#<owner>#MERCHANTS`), same sort key, projecting
   * only `listed_place`: the merchant list reads ~150 bytes a receipt instead of the whole row.
   */
  gsi5: { indexName: 'GSI5', partitionKey: 'GSI5PK', sortKey: 'GSI5SK', include: ['listed_place'] },
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
  JOB_TABLE.gsi3.partitionKey,
  JOB_TABLE.gsi3.sortKey,
  JOB_TABLE.gsi4.partitionKey,
  JOB_TABLE.gsi4.sortKey,
  JOB_TABLE.gsi5.partitionKey,
  JOB_TABLE.gsi5.sortKey,
].map((name) => ({ AttributeName: name, AttributeType: 'S' }));

export const JOB_TABLE_GLOBAL_SECONDARY_INDEXES: readonly GlobalSecondaryIndex[] = [
  JOB_TABLE.gsi1,
  JOB_TABLE.gsi2,
  JOB_TABLE.gsi3,
  JOB_TABLE.gsi4,
  JOB_TABLE.gsi5,
].map((gsi) => ({
  IndexName: gsi.indexName,
  KeySchema: [
    { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
    { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
  ],
  // ALL: list queries decode whole records from the index without a second read. INCLUDE where
  // a query reads only a few attributes of many rows (GSI5, the merchant list).
  Projection:
    'include' in gsi ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.include] } : { ProjectionType: 'ALL' },
}));

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
