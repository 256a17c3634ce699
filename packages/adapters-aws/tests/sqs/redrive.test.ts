import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ConfigError } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { SqsQueue, createQueueWithDlq, validateRedriveSettings } from '../../src/sqs/index.js';
import { uniqueResourceName } from '@receiptflow/devkit/emulators';
import { fauxqsSqs } from '@receiptflow/devkit/emulators/suite';

const FOUR_DAYS = 345_600;

// docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
describe('validateRedriveSettings', () => {
  it('refuses a maxReceiveCount that retention / visibility can never reach (1000 at 900 s in 4 days)', () => {
    expect(() =>
      validateRedriveSettings({ maxReceiveCount: 1000, visibilityTimeoutSeconds: 900, retentionSeconds: FOUR_DAYS }),
    ).toThrow(/allows at most 384 receives/);
  });

  it('needs the ratio strictly greater than maxReceiveCount', () => {
    expect(() =>
      validateRedriveSettings({ maxReceiveCount: 384, visibilityTimeoutSeconds: 900, retentionSeconds: FOUR_DAYS }),
    ).toThrow(ConfigError);
    expect(() =>
      validateRedriveSettings({ maxReceiveCount: 383, visibilityTimeoutSeconds: 900, retentionSeconds: FOUR_DAYS }),
    ).not.toThrow();
  });

  it('refuses maxReceiveCount below 5 unless a test explicitly allows it', () => {
    const low = { maxReceiveCount: 2, visibilityTimeoutSeconds: 30, retentionSeconds: FOUR_DAYS };
    expect(() => validateRedriveSettings(low)).toThrow(/below 5: throttled polls count as receives/);
    expect(() => validateRedriveSettings({ ...low, allowLowMaxReceiveCount: true })).not.toThrow();
    expect(() => validateRedriveSettings({ ...low, maxReceiveCount: 5 })).not.toThrow();
  });
});

describe('createQueueWithDlq on fauxqs', () => {
  const sqs = fauxqsSqs();

  it('validates before creating anything', async () => {
    const name = uniqueResourceName('bad');
    await expect(
      createQueueWithDlq(sqs().client, name, {
        maxReceiveCount: 1000,
        visibilityTimeoutSeconds: 900,
        retentionSeconds: FOUR_DAYS,
      }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('a message that always fails reaches the DLQ after maxReceiveCount (5) receives', async () => {
    const name = uniqueResourceName('ocr-queue');
    const created = await createQueueWithDlq(sqs().client, name, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
      retentionSeconds: FOUR_DAYS,
    });
    const attributes = await sqs().client.send(
      new GetQueueAttributesCommand({ QueueUrl: created.queueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(attributes.Attributes!.RedrivePolicy!)).toMatchObject({
      deadLetterTargetArn: created.dlqArn,
      maxReceiveCount: 5,
    });
    const queue = new SqsQueue(sqs().client, { queueUrl: created.queueUrl, waitSeconds: 0 });
    const dlq = new SqsQueue(sqs().client, { queueUrl: created.dlqUrl, waitSeconds: 0 });
    expect(dlq.name).toBe(`${name}-dlq`);
    const { id } = await queue.send('{"job_id":"poison"}');
    for (let n = 1; n <= 5; n++) {
      const [message] = await queue.receive();
      expect(message).toMatchObject({ id, receiveCount: n });
      await message!.retryLater(0); // the handler failed
    }
    expect(await queue.receive()).toEqual([]);
    const dead = await dlq.receive({ waitSeconds: 1 });
    expect(dead.map((m) => m.body)).toEqual(['{"job_id":"poison"}']);
  });
});
