import type { CompactionRun, OcrJob, ReceiptPlace } from '@receiptflow/core';
import type { DynamoDbStreamRecord, StreamAttributeValue } from '@receiptflow/adapters-aws/dynamodb';

/** A JS value as a DynamoDB AttributeValue, the way a Lambda stream event carries it. */
export function toAttributeValue(value: unknown): StreamAttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (typeof value === 'object') return { M: marshalItem(value as Record<string, unknown>) };
  throw new Error(`cannot marshal ${typeof value}`);
}

export function marshalItem(item: Record<string, unknown>): Record<string, StreamAttributeValue> {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, toAttributeValue(v)]),
  );
}

const pad = (n: number) => String(n).padStart(5, '0');

/** A CompactionRun as its table item (deployment contract: flat `lines_*` / `words_*`). */
export function runItem(run: CompactionRun): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const c of ['lines', 'words'] as const) for (const [k, v] of Object.entries(run[c])) flat[`${c}_${k}`] = v;
  return {
    PK: `IMAGE#${run.image_id}`,
    SK: `RECEIPT#${pad(run.receipt_id)}#COMPACTION_RUN#${run.run_id}`,
    entity: 'COMPACTION_RUN',
    run_id: run.run_id,
    image_id: run.image_id,
    receipt_id: run.receipt_id,
    created_at: run.created_at,
    ...flat,
  };
}

export function placeItem(place: ReceiptPlace): Record<string, unknown> {
  return {
    PK: `IMAGE#${place.image_id}`,
    SK: `RECEIPT#${pad(place.receipt_id)}#PLACE`,
    entity: 'RECEIPT_PLACE',
    ...place,
  };
}

export function jobItem(job: OcrJob): Record<string, unknown> {
  return {
    PK: `IMAGE#${job.image_id}`,
    SK: `OCR_JOB#${job.job_id}`,
    entity: 'OCR_JOB',
    GSI1PK: `JOB_STATUS#${job.status}`,
    ...job,
  };
}

let sequence = 1000;

/** A DynamoDB stream record (NEW_AND_OLD_IMAGES) as it arrives in a Lambda event. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: Record<string, unknown>; new?: Record<string, unknown> },
): DynamoDbStreamRecord & { eventID: string; eventSource: string } {
  const seq = String(++sequence).padStart(21, '0');
  const probe = images.new ?? images.old ?? {};
  return {
    eventID: `event-${seq}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshalItem({ PK: probe.PK, SK: probe.SK }),
      ...(images.new ? { NewImage: marshalItem(images.new) } : {}),
      ...(images.old ? { OldImage: marshalItem(images.old) } : {}),
      SequenceNumber: seq,
    },
  };
}
