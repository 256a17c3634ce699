import type { StackConfig } from './config.js';

/** What every module receives: the validated config and the naming/tagging scheme. */
export interface StackContext {
  cfg: StackConfig;
  /** `receiptflow-<stack>`: the prefix of every physical name (queues, functions, log groups). */
  prefix: string;
  /** Tags applied to every taggable resource. */
  tags: Record<string, string>;
}

export function makeContext(cfg: StackConfig, stack: string): StackContext {
  return { cfg, prefix: `receiptflow-${stack}`, tags: { project: 'receiptflow', stack } };
}
