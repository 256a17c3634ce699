import { describeSnapshotStoreContract } from '@receiptflow/core/testing';
import { InMemorySnapshotStore } from '../src/in-memory-snapshot-store.js';

describeSnapshotStoreContract('InMemorySnapshotStore', async () => ({ subject: new InMemorySnapshotStore() }));
