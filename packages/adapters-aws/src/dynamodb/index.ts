export {
  JOB_TABLE,
  JOB_TABLE_ATTRIBUTE_DEFINITIONS,
  JOB_TABLE_GLOBAL_SECONDARY_INDEXES,
  JOB_TABLE_KEY_SCHEMA,
  jobTableCreateInput,
} from './table-definition.js';
export { DynamoDbOcrJobStore } from './dynamodb-ocr-job-store.js';
export type { DynamoDbStoreConfig } from './dynamodb-job-table-store.js';
export { DynamoDbReceiptStore, type DynamoDbReceiptStoreConfig } from './dynamodb-receipt-store.js';
export { DynamoDbReceiptCatalog } from './dynamodb-receipt-catalog.js';
export type { ReceiptWriteOptions } from './receipt-write-attempt.js';
export { DynamoDbCompactionRunStore } from './dynamodb-compaction-run-store.js';
export { DynamoDbPlacesCache, type DynamoDbPlacesCacheConfig } from './dynamodb-places-cache.js';
export { DynamoDbCompactionLock, type DynamoDbCompactionLockConfig } from './dynamodb-compaction-lock.js';
export { DynamoDbSnapshotStore, type DynamoDbSnapshotStoreConfig } from './dynamodb-snapshot-store.js';
export type { BatchRetryOptions } from './dynamodb-table.js';
export {
  changeRecordFromStreamRecord,
  unmarshallImage,
  type DynamoDbStreamRecord,
  type StreamAttributeValue,
} from './stream-record.js';
