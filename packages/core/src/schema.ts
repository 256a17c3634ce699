/**
 * Builds a schema where it is declared, in a call marked side-effect free at each use
 * (`export const X = /* @__PURE__ *\/ schema(() => z.object(...))`): zod builds a schema eagerly,
 * method by method, so every schema a module declares is built when the module is imported,
 * whether or not anything parses with it. A bundler drops an unused pure call, so each Lambda
 * bundle builds only the schemas its code can reach; the value and its type are the schema itself
 * (docs/benchmarks.md#p5-cold-start-and-the-sdk). Internal to core: not exported from the index.
 */
export const schema = <T>(build: () => T): T => build();
