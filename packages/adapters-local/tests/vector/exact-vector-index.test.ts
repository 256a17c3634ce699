import { describeVectorIndexContract } from '@receiptflow/core/testing';
import { ExactVectorIndex } from '../../src/vector/exact-vector-index.js';

describeVectorIndexContract('ExactVectorIndex', async () => ({ subject: new ExactVectorIndex() }));
describeVectorIndexContract(
  'ExactVectorIndex (dimensions 16)',
  async () => ({ subject: new ExactVectorIndex({ dimensions: 16 }) }),
  {
    dimensions: 16,
  },
);
