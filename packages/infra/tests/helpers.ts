import { parseStackConfig, type RawStackConfig, type StackConfig } from '../src/config.js';

/** A valid config for tests: placeholder code, no bundles, dummy secrets. */
export function testConfig(overrides: RawStackConfig = {}): StackConfig {
  return parseStackConfig({
    placeholderCode: 'true',
    chromaUrl: 'https://chroma.example.com',
    openaiApiKey: 'sk-test',
    googlePlacesApiKey: 'places-test',
    apiKeySha256: 'a'.repeat(64),
    ...overrides,
  });
}
