import { Container } from 'inversify';
import { parseConfig, ReceiptsReadConfigSchema } from '../config/aws-config.js';
import { awsReceiptsReadModule } from '../container/aws/receipts-read-module.js';
import { loadVectorStorage } from '../container/aws/vector-storage.js';
import { receiptsReadHandlerFrom } from '../container/handler-factories.js';
import type { HttpApiEvent } from '../http/api-gateway.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';

// Cold start: configuration is parsed once, and a missing variable fails here, by name.
const config = parseConfig(ReceiptsReadConfigSchema, process.env, 'receipts-read');
const container = new Container();
// Only the configured VECTOR_STORAGE_MODE's code is loaded (Chroma's client, or the HNSW index
// files), after the config parse so a bad mode still fails as a ConfigError (docs/benchmarks.md, P5).
container.load(awsReceiptsReadModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
const read = receiptsReadHandlerFrom(container, new ApiKeyAuth(config.API_KEY_SHA256));

export const handler = (event: HttpApiEvent) => read(event);
