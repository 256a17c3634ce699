import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ValidationError } from '@receiptflow/core';
import { uniqueResourceName } from '@receiptflow/devkit/emulators';
import { fauxqsSqs } from '@receiptflow/devkit/emulators/suite';
import { describe, expect, it } from 'vitest';
import { parseSqsQueueArn, SqsQueue, sqsQueueUrlOf } from '../../src/sqs/index.js';

const sqs = fauxqsSqs();

describe('parseSqsQueueArn', () => {
  it('splits a queue ARN of any partition', () => {
    expect(parseSqsQueueArn('arn:aws:sqs:eu-west-1:123456789012:receiptflow-dev-ocr-results-queue')).toEqual({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      name: 'receiptflow-dev-ocr-results-queue',
    });
    expect(parseSqsQueueArn('arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q.fifo')).toMatchObject({
      partition: 'aws-us-gov',
      name: 'q.fifo',
    });
  });

  it('refuses what is not a queue ARN with ValidationError', () => {
    for (const bad of [
      '',
      'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      'arn:aws:sns:us-east-1:123456789012:topic',
      'arn:aws:sqs:us-east-1:1234:q',
      'arn:aws:sqs:us-east-1:123456789012:',
      'arn:aws:sqs:us-east-1:123456789012:a/b',
      `arn:aws:sqs:us-east-1:123456789012:${'q'.repeat(81)}`,
    ])
      expect(() => parseSqsQueueArn(bad), bad).toThrow(ValidationError);
  });
});

describe('sqsQueueUrlOf: the URL a client addresses the queue by', () => {
  const urlOf = (region: string, arn: string, options: { useFipsEndpoint?: boolean } = {}) => {
    const c = new SQSClient({ region, ...options });
    return sqsQueueUrlOf(c, parseSqsQueueArn(arn)).finally(() => c.destroy());
  };

  it("uses the SDK's endpoint rules for the ARN's region, so every partition gets its own host", async () => {
    expect(await urlOf('eu-west-1', 'arn:aws:sqs:eu-west-1:123456789012:jobs')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
    );
    expect(await urlOf('cn-north-1', 'arn:aws-cn:sqs:cn-north-1:123456789012:jobs')).toBe(
      'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs',
    );
    expect(await urlOf('us-gov-west-1', 'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:jobs')).toBe(
      'https://sqs.us-gov-west-1.amazonaws.com/123456789012/jobs',
    );
    // A FIPS client gets the FIPS host: the same one its calls go to.
    expect(await urlOf('us-east-1', 'arn:aws:sqs:us-east-1:123456789012:jobs', { useFipsEndpoint: true })).toBe(
      'https://sqs-fips.us-east-1.amazonaws.com/123456789012/jobs',
    );
  });

  it('a client with a custom endpoint (an emulator) addresses the queue under that endpoint', async () => {
    const c = new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566/' });
    expect(await sqsQueueUrlOf(c, parseSqsQueueArn('arn:aws:sqs:us-east-1:000000000000:jobs'))).toBe(
      'http://127.0.0.1:4566/000000000000/jobs',
    );
    c.destroy();
  });
});

describe('SqsQueue.fromArn on fauxqs', () => {
  it('finds the queue its ARN names: the URL fauxqs created it with, and the messages on it', async () => {
    const created = await sqs().client.send(new CreateQueueCommand({ QueueName: uniqueResourceName('by-arn') }));
    const attributes = await sqs().client.send(
      new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl!, AttributeNames: ['QueueArn'] }),
    );
    // fauxqs names queues its own way (sqs.<region>.127.0.0.1:PORT), hence the override.
    const queue = await SqsQueue.fromArn(sqs().client, attributes.Attributes!.QueueArn!, {
      waitSeconds: 0,
      queueUrlOf: sqs().queueUrlOf,
    });
    expect(queue.queueUrl).toBe(created.QueueUrl);
    expect(queue.name).toBe(parseSqsQueueArn(attributes.Attributes!.QueueArn!).name);

    await sqs().client.send(new SendMessageCommand({ QueueUrl: created.QueueUrl!, MessageBody: 'hello' }));
    const [message] = await queue.receive();
    expect(message?.body).toBe('hello');
    await message!.retryLater(0);
    const again = await sqs().client.send(
      new ReceiveMessageCommand({ QueueUrl: created.QueueUrl!, WaitTimeSeconds: 2 }),
    );
    expect(again.Messages?.map((m) => m.Body)).toEqual(['hello']);
  });

  it('refuses an ARN that is not a queue, before any call', async () => {
    await expect(SqsQueue.fromArn(sqs().client, 'arn:aws:s3:::bucket')).rejects.toBeInstanceOf(ValidationError);
  });
});
