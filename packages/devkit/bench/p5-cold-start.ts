import { DUMMY_LAMBDA_ENV, measureColdStart } from './cold-start.js';
import type { Plan } from './plan.js';
import { mapValues, ratio, round } from './stats.js';

/**
 * P5: bytes and init time per Lambda function, in fresh processes, for the two ways of treating
 * the AWS SDK: bundled (tree-shaken, minified) and left to the runtime. The goal figures
 * (`p5_bytes`, `p5_init_ms`) are the deployed build's; the other build is there to show the
 * choice still holds. Run first, before this process holds gigabytes of index.
 */
export async function measureP5(handlersDir: string, plan: Plan): Promise<Record<string, unknown>> {
  const cold = await measureColdStart(handlersDir, plan.coldStartRuns, plan.coldStartOtherRuns);
  const shipped = cold[cold.shipped];
  const ms = (r: Record<string, number>) => mapValues(r, (v) => round(v, 1));
  return {
    p5_sdk: cold.shipped,
    // The node the bundles were timed on (Lambda's nodejs22.x major when one was found).
    p5_node: cold.node.version,
    p5_vector_storage_mode: DUMMY_LAMBDA_ENV.VECTOR_STORAGE_MODE,
    p5_bytes: shipped.bytes,
    p5_init_bytes: shipped.initBytes,
    p5_init_ms: ms(shipped.initMs),
    p5_init_cpu_ms: ms(shipped.initCpuMs),
    p5_sdk_bundled: {
      bytes: cold.bundled.bytes,
      init_bytes: cold.bundled.initBytes,
      init_ms: ms(cold.bundled.initMs),
      init_cpu_ms: ms(cold.bundled.initCpuMs),
    },
    p5_sdk_external: {
      bytes: cold.external.bytes,
      init_bytes: cold.external.initBytes,
      init_ms: ms(cold.external.initMs),
      init_cpu_ms: ms(cold.external.initCpuMs),
      sdk_import_ms: ms(cold.external.sdkImportMs),
    },
    // Below 1: the bundled SDK inits faster than the runtime's (per function).
    p5_bundled_over_external: Object.fromEntries(
      cold.functions.map((n) => [n, round(ratio(cold.bundled.initMs[n]!, cold.external.initMs[n]!), 2)]),
    ),
    p5_runs: cold.runs,
    p5_other_build_runs: cold.otherRuns,
    p5_build_s: round(cold.buildSeconds, 1),
  };
}
