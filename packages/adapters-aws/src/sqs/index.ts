export {
  SqsQueue,
  type DeliveryReport,
  type SqsDelivery,
  type SqsQueueConfig,
  type SqsQueueFromArnConfig,
} from './sqs-queue.js';
export { SqsDeadLetterQueue, type SqsDeadLetterQueueConfig } from './sqs-dead-letter-queue.js';
export { parseSqsQueueArn, sqsQueueUrlOf, type SqsQueueArn } from './sqs-queue-arn.js';
export {
  DLQ_RETENTION_SECONDS,
  MIN_MAX_RECEIVE_COUNT,
  createQueueWithDlq,
  validateRedriveSettings,
  type QueueWithDlq,
  type RedriveSettings,
} from './redrive.js';
