/**
 * Builds a schema where it is declared, in a call marked side-effect free: a bundle that never
 * reads the result drops the call (esbuild tree-shakes an unused pure call), so each Lambda builds
 * its own function's config schema at init instead of all ten, and a handler's request schema
 * only where that handler is served (zod builds a schema eagerly, method by method;
 * docs/benchmarks.md#p5-cold-start-and-the-sdk). Core has its own (core/src/schema.ts).
 */
export const schema = <T>(build: () => T): T => build();
