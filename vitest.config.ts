import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

// CI reads the counts from vitest's JSON report, and .ci/flaky-reporter.mjs lists the tests that
// passed only on CI's one retry (vitest.project.ts); locally the default reporter is enough.
const ciReporters = process.env.CI
  ? ['default', ['json', { outputFile: '.vitest-results.json' }] as [string, object], './.ci/flaky-reporter.mjs']
  : ['default'];

export default defineConfig({
  test: {
    projects,
    reporters: ciReporters,
  },
});
