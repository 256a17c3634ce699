import { Container } from 'inversify';
import { parseConfig, ReceiptsExportConfigSchema } from '../config/aws-config.js';
import { awsReceiptsExportModule } from '../container/aws/receipts-export-module.js';
import { receiptsExportHandlerFrom } from '../container/handler-factories.js';
import type { HttpApiEvent } from '../http/api-gateway.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';

// Cold start: configuration is parsed once, and a missing variable fails here, by name.
const config = parseConfig(ReceiptsExportConfigSchema, process.env, 'receipts-export');
const container = new Container();
container.load(awsReceiptsExportModule(config));
const exporter = receiptsExportHandlerFrom(container, new ApiKeyAuth(config.API_KEY_SHA256));

export const handler = (event: HttpApiEvent) => exporter(event);
