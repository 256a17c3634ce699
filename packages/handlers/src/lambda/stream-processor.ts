import { changeRecordFromStreamRecord, type DynamoDbStreamRecord } from '@receiptflow/adapters-aws/dynamodb';
import { Container } from 'inversify';
import { parseConfig, StreamProcessorConfigSchema } from '../config/aws-config.js';
import { awsStreamProcessorModule } from '../container/aws/stream-processor-module.js';
import { streamProcessorFrom } from '../container/handler-factories.js';
import { toStreamItems } from '../handlers/dynamodb-stream-event.js';

const config = parseConfig(StreamProcessorConfigSchema, process.env, 'stream-processor');
const container = new Container();
container.load(awsStreamProcessorModule(config));
const processStream = streamProcessorFrom(container);

export const handler = (event: { Records?: (DynamoDbStreamRecord & { eventID?: string })[] }) =>
  processStream(toStreamItems(event.Records ?? [], changeRecordFromStreamRecord));
