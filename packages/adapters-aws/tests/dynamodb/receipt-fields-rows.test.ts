import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '@receiptflow/core';
import { makeReceiptDetails, makeReceiptFields } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { DynamoDbReceiptStore } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

/** Receipt rows as they are in the table, written around the store. */
describe('DynamoDbReceiptStore receipt rows and their fields', () => {
  it('reads a receipt row written before fields existed (no fields attribute, no write_state)', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const receipts = new DynamoDbReceiptStore(doc, { tableName, clock: new ManualClock() });
    const details = makeReceiptDetails({}, { lineCount: 1, wordsPerLine: 1 });
    const { image_id } = details.receipt;
    const pk = `IMAGE#${image_id}`;
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: pk, SK: 'RECEIPT#00001', entity: 'RECEIPT', ...details.receipt },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: pk, SK: 'RECEIPT#00001#LINE#00001', entity: 'RECEIPT_LINE', ...details.lines[0] },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: pk, SK: 'RECEIPT#00001#LINE#00001#WORD#00001', entity: 'RECEIPT_WORD', ...details.words[0] },
      }),
    );
    expect(await receipts.get(image_id, 1)).toEqual(details);
    // …and the next delivery can give it fields.
    const fields = makeReceiptFields();
    await receipts.putFields(image_id, 1, fields);
    expect((await receipts.get(image_id, 1))?.receipt.fields).toEqual(fields);
  });

  it('reports a stored row whose fields do not parse as a ValidationError naming its key and the field', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const receipts = new DynamoDbReceiptStore(doc, { tableName, clock: new ManualClock() });
    const details = makeReceiptDetails({ fields: makeReceiptFields() });
    const { image_id } = details.receipt;
    await receipts.create(details);
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: `IMAGE#${image_id}`, SK: 'RECEIPT#00001' },
        UpdateExpression: 'SET #f.#t.currency = :bad',
        ExpressionAttributeNames: { '#f': 'fields', '#t': 'total' },
        ExpressionAttributeValues: { ':bad': 'dollars' },
      }),
    );
    const read = receipts.get(image_id, 1);
    await expect(read).rejects.toBeInstanceOf(ValidationError);
    await expect(read).rejects.toThrow(/stored receipt IMAGE#.*\/RECEIPT#00001 is malformed: fields\.total\.currency/);
  });
});
