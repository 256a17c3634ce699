import { ValidationError, type ChangeRecord } from '@receiptflow/core';
import { domainRecordFromItem, type Item } from './item-codec.js';

/**
 * A DynamoDB AttributeValue as stream records carry it (Lambda's event shape; binary values
 * are base64 strings there, Uint8Array when read through the SDK).
 */
export interface StreamAttributeValue {
  S?: string;
  N?: string;
  B?: string | Uint8Array;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, StreamAttributeValue>;
  L?: StreamAttributeValue[];
  SS?: string[];
  NS?: string[];
  BS?: (string | Uint8Array)[];
}

/** The parts of a DynamoDB Streams record (as in a Lambda event) that the mapping reads. */
export interface DynamoDbStreamRecord {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  dynamodb?: {
    Keys?: Record<string, StreamAttributeValue>;
    NewImage?: Record<string, StreamAttributeValue>;
    OldImage?: Record<string, StreamAttributeValue>;
    SequenceNumber?: string;
  };
}

/**
 * Maps a stream record (view type NEW_AND_OLD_IMAGES) to core's ChangeRecord, with each image
 * decoded to its domain record (storage attributes such as PK, SK, GSI keys and `entity` are
 * dropped; a compaction run's flat `lines_*`/`words_*` attributes are nested again).
 *
 * Returns null for rows that are not domain records (places cache, locks, snapshot pointers,
 * job pointers). Throws ValidationError for a record without images or with a malformed one.
 */
export function changeRecordFromStreamRecord(record: DynamoDbStreamRecord): ChangeRecord | null {
  const eventName = record.eventName;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new ValidationError(`stream record has unknown eventName ${String(eventName)}`);
  }
  const newItem = record.dynamodb?.NewImage ? unmarshallImage(record.dynamodb.NewImage) : null;
  const oldItem = record.dynamodb?.OldImage ? unmarshallImage(record.dynamodb.OldImage) : null;
  const probe = newItem ?? oldItem;
  if (probe === null) {
    const keys = record.dynamodb?.Keys ? JSON.stringify(unmarshallImage(record.dynamodb.Keys)) : 'no keys';
    throw new ValidationError(
      `stream record ${eventName} (${keys}) has no images: the stream view type must be NEW_AND_OLD_IMAGES`,
    );
  }
  const newDecoded = newItem ? domainRecordFromItem(newItem) : null;
  const oldDecoded = oldItem ? domainRecordFromItem(oldItem) : null;
  const entity = newDecoded?.entity ?? oldDecoded?.entity;
  if (entity === undefined) return null;
  return {
    event_name: eventName,
    entity,
    old_image: oldDecoded?.record ?? null,
    new_image: newDecoded?.record ?? null,
    sequence: record.dynamodb?.SequenceNumber ?? null,
  };
}

/** Unmarshalls an AttributeValue map (numbers become JS numbers, sets become arrays). */
export function unmarshallImage(image: Record<string, StreamAttributeValue>): Item {
  return Object.fromEntries(Object.entries(image).map(([k, v]) => [k, unmarshallValue(v, k)]));
}

function unmarshallValue(value: StreamAttributeValue, path: string): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) {
    return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, unmarshallValue(v, `${path}.${k}`)]));
  }
  if (value.L !== undefined) return value.L.map((v, i) => unmarshallValue(v, `${path}[${i}]`));
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return toBytes(value.B);
  if (value.BS !== undefined) return value.BS.map(toBytes);
  throw new ValidationError(`stream image attribute ${path} has no known AttributeValue type`);
}

function toBytes(b: string | Uint8Array): Uint8Array {
  return typeof b === 'string' ? new Uint8Array(Buffer.from(b, 'base64')) : b;
}
