import { measureColdStart } from './cold-start.js';
import type { Plan } from './plan.js';
import { mapValues, round } from './stats.js';

/**
 * P5: bundle bytes and init time per Lambda, in fresh processes. Run first, before this process
 * holds gigabytes of index.
 */
export async function measureP5(handlersDir: string, plan: Plan): Promise<Record<string, unknown>> {
  const cold = await measureColdStart(handlersDir, plan.coldStartRuns);
  return {
    p5_bytes: cold.bytes,
    p5_init_ms: mapValues(cold.initMs, (v) => round(v, 1)),
    p5_sdk_import_ms: mapValues(cold.sdkImportMs, (v) => round(v, 1)),
    p5_runs: cold.runs,
  };
}
