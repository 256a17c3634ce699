import { describePlacesCacheContract } from '@receiptflow/core/testing';
import { InMemoryPlacesCache } from '../src/in-memory-places-cache.js';

describePlacesCacheContract('InMemoryPlacesCache', async () => ({ subject: new InMemoryPlacesCache() }));
