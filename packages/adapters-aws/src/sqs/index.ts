export { SqsQueue, type DeliveryReport, type SqsDelivery, type SqsQueueConfig } from './sqs-queue.js';
export {
  DLQ_RETENTION_SECONDS,
  MIN_MAX_RECEIVE_COUNT,
  createQueueWithDlq,
  validateRedriveSettings,
  type QueueWithDlq,
  type RedriveSettings,
} from './redrive.js';
