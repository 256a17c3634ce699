import { parseStackConfig, type RawStackConfig, type StackConfig } from '../src/config.js';

/** A valid config for tests: placeholder code, no bundles, dummy secrets. */
export function testConfig(overrides: RawStackConfig = {}): StackConfig {
  return parseStackConfig({
    placeholderCode: 'true',
    openaiApiKey: 'sk-test',
    googlePlacesApiKey: 'places-test',
    apiKeySha256: 'a'.repeat(64),
    ...overrides,
  });
}

/**
 * A `server`-mode stack with an external Chroma: the doctor's recorded stacks are of this kind
 * (compaction and the results step reach Chroma through the NAT). The URL is a test value; a real
 * stack must set its own (there is no default).
 */
export function serverConfig(overrides: RawStackConfig = {}): StackConfig {
  return testConfig({ vectorStorageMode: 'server', chromaUrl: 'https://chroma.internal.test', ...overrides });
}
