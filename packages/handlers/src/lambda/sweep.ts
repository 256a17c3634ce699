import { Container } from 'inversify';
import { parseConfig, SweepConfigSchema } from '../config/aws-config.js';
import { awsSweepModule } from '../container/aws/sweep-module.js';
import { sweepHandlerFrom } from '../container/handler-factories.js';

const config = parseConfig(SweepConfigSchema, process.env, 'sweep');
const container = new Container();
container.load(awsSweepModule(config));
const sweep = sweepHandlerFrom(container, {
  minAgeMs: config.SWEEP_MIN_AGE_SECONDS * 1000,
  lookbackMs: config.SWEEP_LOOKBACK_SECONDS * 1000,
  limit: config.SWEEP_LIMIT,
});

export const handler = (event: unknown) => sweep(event);
