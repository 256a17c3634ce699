import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeRecordSchema, ValidationError } from '@receiptflow/core';
import {
  makeCompactionRun,
  makeImage,
  makeJob,
  makePlacesCacheEntry,
  makeReceiptDetails,
  makeReceiptPlace,
  makeRoutingDecision,
} from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptStore,
  DynamoDbPlacesCache,
  changeRecordFromStreamRecord,
  type DynamoDbStreamRecord,
} from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// dynalite has no Streams API: these tests build stream records from the raw items (AttributeValue
// maps) that the adapters actually wrote, which is what DynamoDB Streams would carry.
const dynalite = useDynalite();

/** The three job-table stores over one table, as the handlers wire them. */
function storesOn(doc: DynamoDBDocumentClient, tableName: string) {
  const config = { tableName, clock: new ManualClock() };
  return {
    jobs: new DynamoDbOcrJobStore(doc, config),
    receipts: new DynamoDbReceiptStore(doc, config),
    runs: new DynamoDbCompactionRunStore(doc, config),
  };
}

async function rawItem(client: DynamoDBClient, tableName: string, PK: string, SK: string) {
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { PK: { S: PK }, SK: { S: SK } }, ConsistentRead: true }),
  );
  return out.Item!;
}

function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: Record<string, AttributeValue>; new?: Record<string, AttributeValue> },
  sequence = '100',
): DynamoDbStreamRecord {
  return {
    eventName,
    dynamodb: {
      ...(images.old ? { OldImage: images.old } : {}),
      ...(images.new ? { NewImage: images.new } : {}),
      SequenceNumber: sequence,
    },
  };
}

describe('changeRecordFromStreamRecord', () => {
  it('maps INSERTs of every domain entity to the domain record, without storage attributes', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = storesOn(doc, tableName);
    const image = makeImage();
    const imageId = image.image_id;
    const job = makeJob({ image_id: imageId });
    const routing = makeRoutingDecision({ image_id: imageId, job_id: job.job_id });
    const details = makeReceiptDetails({ image_id: imageId }, { lineCount: 1, wordsPerLine: 1 });
    const place = makeReceiptPlace({ image_id: imageId });
    const run = makeCompactionRun({ image_id: imageId });
    await store.jobs.createImage(image);
    await store.jobs.createJob(job);
    await store.jobs.createRoutingDecision(routing);
    await store.receipts.create(details);
    await store.receipts.putPlace(place);
    await store.runs.create(run);

    const pk = `IMAGE#${imageId}`;
    const cases = [
      ['IMAGE', 'IMAGE', image],
      [`OCR_JOB#${job.job_id}`, 'OCR_JOB', job],
      [`ROUTING#${job.job_id}`, 'ROUTING', routing],
      ['RECEIPT#00001', 'RECEIPT', details.receipt],
      ['RECEIPT#00001#LINE#00001', 'RECEIPT_LINE', details.lines[0]],
      ['RECEIPT#00001#LINE#00001#WORD#00001', 'RECEIPT_WORD', details.words[0]],
      ['RECEIPT#00001#PLACE', 'RECEIPT_PLACE', place],
      [`RECEIPT#00001#COMPACTION_RUN#${run.run_id}`, 'COMPACTION_RUN', run],
    ] as const;
    for (const [sk, entity, expected] of cases) {
      const change = changeRecordFromStreamRecord(record('INSERT', { new: await rawItem(client, tableName, pk, sk) }));
      expect(change).toEqual({ event_name: 'INSERT', entity, old_image: null, new_image: expected, sequence: '100' });
      expect(ChangeRecordSchema.parse(change)).toEqual(change);
    }
  });

  it('maps a CompactionRun MODIFY with both images, nesting the flat lines_/words_ attributes', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = storesOn(doc, tableName);
    const run = makeCompactionRun();
    await store.runs.create(run);
    const key = [`IMAGE#${run.image_id}`, `RECEIPT#00001#COMPACTION_RUN#${run.run_id}`] as const;
    const before = await rawItem(client, tableName, ...key);
    const ref = { image_id: run.image_id, receipt_id: 1, run_id: run.run_id };
    const after = await store.runs.transitionCollection(ref, 'words', 'PENDING', 'PROCESSING');
    const change = changeRecordFromStreamRecord(
      record('MODIFY', { old: before, new: await rawItem(client, tableName, ...key) }, '200'),
    );
    expect(change).toEqual({
      event_name: 'MODIFY',
      entity: 'COMPACTION_RUN',
      old_image: run,
      new_image: after,
      sequence: '200',
    });
  });

  it('maps a receipt REMOVE from its old image', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = storesOn(doc, tableName);
    const details = makeReceiptDetails({}, { lineCount: 1, wordsPerLine: 1 });
    await store.receipts.create(details);
    const old = await rawItem(client, tableName, `IMAGE#${details.receipt.image_id}`, 'RECEIPT#00001');
    await store.receipts.delete(details.receipt.image_id, 1);
    expect(changeRecordFromStreamRecord(record('REMOVE', { old }))).toEqual({
      event_name: 'REMOVE',
      entity: 'RECEIPT',
      old_image: details.receipt,
      new_image: null,
      sequence: '100',
    });
  });

  it('returns null for rows that are not domain records (cache, job pointer)', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const entry = makePlacesCacheEntry();
    await new DynamoDbPlacesCache(doc, { tableName, clock: new ManualClock() }).put(entry);
    const cacheRow = await rawItem(client, tableName, `PLACES_CACHE#${entry.key}`, 'PLACES_CACHE');
    expect(changeRecordFromStreamRecord(record('INSERT', { new: cacheRow }))).toBeNull();
    const job = makeJob();
    await storesOn(doc, tableName).jobs.createJob(job);
    const pointer = await rawItem(client, tableName, `OCR_JOB#${job.job_id}`, 'OCR_JOB');
    expect(changeRecordFromStreamRecord(record('INSERT', { new: pointer }))).toBeNull();
  });

  it('reads Lambda-event JSON (numbers as strings, NULL, lists, maps)', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const place = makeReceiptPlace({ place_id: null, merchant_name: null, evidence: ['phone', 'name'] });
    await storesOn(doc, tableName).receipts.putPlace(place);
    const raw = await rawItem(client, tableName, `IMAGE#${place.image_id}`, 'RECEIPT#00001#PLACE');
    // Through JSON, as Lambda delivers it.
    const lambdaRecord = JSON.parse(JSON.stringify(record('INSERT', { new: raw }))) as DynamoDbStreamRecord;
    expect(changeRecordFromStreamRecord(lambdaRecord)?.new_image).toEqual(place);
  });

  it('throws ValidationError for a record without images or with a malformed image', () => {
    expect(() => changeRecordFromStreamRecord({ eventName: 'INSERT', dynamodb: { Keys: { PK: { S: 'x' } } } })).toThrow(
      ValidationError,
    );
    expect(() =>
      changeRecordFromStreamRecord(
        record('INSERT', { new: { PK: { S: 'IMAGE#x' }, SK: { S: 'IMAGE' }, entity: { S: 'IMAGE' } } }),
      ),
    ).toThrow(/stored image IMAGE#x\/IMAGE is malformed/);
    expect(() => changeRecordFromStreamRecord({ eventName: 'TTL' })).toThrow(ValidationError);
  });
});
