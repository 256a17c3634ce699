import { ChromaClient } from 'chromadb';
import { afterAll, beforeAll } from 'vitest';
import { describeVectorIndexContract } from '@receiptflow/core/testing';
import { ChromaVectorIndex } from '../../src/chroma/index.js';
import { startChromaServer, type ChromaServer } from '@receiptflow/devkit/chroma';

let server: ChromaServer;
let fixtures = 0;

beforeAll(async () => {
  server = await startChromaServer();
});

afterAll(async () => {
  await server?.stop();
});

describeVectorIndexContract(
  'ChromaVectorIndex (real Chroma server)',
  async () => {
    const client = new ChromaClient({ host: server.host, port: server.port });
    // A fresh pair of collections per test, so every test starts empty.
    const collectionPrefix = `contract${++fixtures}_`;
    const subject = new ChromaVectorIndex(client, { collectionPrefix, dimensions: 512 });
    return {
      subject,
      cleanup: async () => {
        for (const name of ['lines', 'words']) {
          await client.deleteCollection({ name: collectionPrefix + name }).catch(() => undefined);
        }
      },
    };
  },
  { dimensions: 512 },
);
