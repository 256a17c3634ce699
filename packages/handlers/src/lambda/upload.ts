import { Container } from 'inversify';
import { parseConfig, UploadConfigSchema } from '../config/aws-config.js';
import { awsUploadModule } from '../container/aws/upload-module.js';
import { uploadHandlerFrom } from '../container/handler-factories.js';
import type { HttpApiEvent } from '../http/api-gateway.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';

// Cold start: configuration is parsed once, and a missing variable fails here, by name.
const config = parseConfig(UploadConfigSchema, process.env, 'upload');
const container = new Container();
container.load(awsUploadModule(config));
const upload = uploadHandlerFrom(container, new ApiKeyAuth(config.API_KEY_SHA256));

export const handler = (event: HttpApiEvent) => upload(event);
