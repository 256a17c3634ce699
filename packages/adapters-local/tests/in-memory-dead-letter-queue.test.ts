import { describeDeadLetterQueueContract } from '@receiptflow/core/testing';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryDeadLetterQueue } from '../src/in-memory-dead-letter-queue.js';
import { InMemoryQueue } from '../src/in-memory-queue.js';

describeDeadLetterQueueContract('InMemoryDeadLetterQueue', async () => {
  const clock = new FakeClock();
  const dlq = new InMemoryQueue({ name: 'work-queue-dlq', clock });
  const source = new InMemoryQueue({ name: 'work-queue', clock, deadLetter: { queue: dlq, maxReceiveCount: 5 } });
  return {
    subject: new InMemoryDeadLetterQueue(dlq, source),
    source,
    // As the queue's own redrive does after maxReceiveCount: the body, no note.
    putRaw: async (body) => dlq.acceptDeadLetter(`raw-${body}`, body, 5),
  };
});
