import { afterAll, beforeAll } from 'vitest';
import { describeEmbedderContract } from '@receiptflow/core/testing';
import { OpenAiEmbedder, OpenAiEmbeddingsClient } from '../../src/openai/index.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '@receiptflow/devkit/fake-servers';
import { RecordingClock } from './recording-clock.js';

let server: FakeOpenAiServer;

beforeAll(async () => {
  server = await startFakeOpenAiServer({ apiKey: 'sk-test' });
});

afterAll(async () => {
  await server?.close();
});

describeEmbedderContract('OpenAiEmbedder (fake OpenAI server)', async () => ({
  // batchSize 64, so the 300-text case spans several concurrent requests.
  subject: new OpenAiEmbedder(new OpenAiEmbeddingsClient({ apiKey: 'sk-test', baseURL: server.baseURL }), {
    batchSize: 64,
    clock: new RecordingClock(),
  }),
}));
