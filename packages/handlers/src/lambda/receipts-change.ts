import { Container } from 'inversify';
import { parseConfig, ReceiptsChangeConfigSchema } from '../config/aws-config.js';
import { awsReceiptsChangeModule } from '../container/aws/receipts-change-module.js';
import { receiptsChangeHandlerFrom } from '../container/handler-factories.js';
import type { HttpApiEvent } from '../http/api-gateway.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';

// Cold start: configuration is parsed once, and a missing variable fails here, by name.
const config = parseConfig(ReceiptsChangeConfigSchema, process.env, 'receipts-change');
const container = new Container();
container.load(awsReceiptsChangeModule(config));
const change = receiptsChangeHandlerFrom(container, new ApiKeyAuth(config.API_KEY_SHA256));

export const handler = (event: HttpApiEvent) => change(event);
