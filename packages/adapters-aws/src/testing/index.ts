export { startChromaServer, type ChromaServer, type StartChromaServerOptions } from './chroma-server.js';
export { startDynalite, startFauxqs, type RunningEmulator } from './emulators.js';
export {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestS3Client,
  createTestSqsClient,
  uniqueResourceName,
  type TestClientOptions,
} from './aws-test-clients.js';
export {
  countCommand,
  failCommand,
  interceptCommand,
  serviceError,
  type ClientWithMiddleware,
  type InjectedFault,
} from './fault-injection.js';
export {
  startFakeOpenAiServer,
  type FakeOpenAiRequest,
  type FakeOpenAiServer,
  type FakeOpenAiServerOptions,
} from './fake-openai-server.js';
export * from './fake-places-server.js';
