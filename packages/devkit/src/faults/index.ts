/**
 * Fault injection for tests: AWS SDK middleware that fails or intercepts chosen commands, and
 * byte-level damage to files (a flipped byte, a torn tail) for the durable-file and fsck tests.
 *
 * @example
 * ```ts
 * import { failCommand, serviceError, truncateToFraction } from '@receiptflow/devkit/faults';
 *
 * // The next 2 BatchWriteItemCommands fail as DynamoDB throttling would, inside the SDK's retries.
 * const fault = failCommand(dynamoClient, 'BatchWriteItemCommand', () => serviceError('ThrottlingException'), { times: 2 });
 * await store.saveReceipt(receipt); // retried, then written
 * expect(fault.calls).toBe(3);
 * fault.remove();
 *
 * await truncateToFraction(journalPath, 0.5); // a torn write at half the file
 * ```
 * @packageDocumentation
 */
export {
  countCommand,
  failCommand,
  interceptCommand,
  serviceError,
  type ClientWithMiddleware,
  type InjectedFault,
} from './fault-injection.js';
export { flipByte, truncateToFraction } from './corrupt-file.js';
