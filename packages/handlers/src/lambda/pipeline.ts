import { Container } from 'inversify';
import { parseConfig, PipelineConfigSchema } from '../config/aws-config.js';
import { awsPipelineModule } from '../container/aws/pipeline-module.js';
import { pipelineHandlerFrom } from '../container/handler-factories.js';
import type { HttpApiEvent } from '../http/api-gateway.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';

// Cold start: configuration is parsed once, and a missing variable fails here, by name.
const config = parseConfig(PipelineConfigSchema, process.env, 'pipeline');
const container = new Container();
container.load(awsPipelineModule(config));
const pipeline = pipelineHandlerFrom(container, new ApiKeyAuth(config.API_KEY_SHA256));

export const handler = (event: HttpApiEvent) => pipeline(event);
