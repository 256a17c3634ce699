import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

// CI reads the counts from vitest's JSON report; locally the default reporter is enough.
const ciReporters = process.env.CI
  ? ['default', ['json', { outputFile: '.vitest-results.json' }] as [string, object]]
  : ['default'];

export default defineConfig({
  test: {
    projects,
    reporters: ciReporters,
  },
});
