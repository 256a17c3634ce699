import { defineProject } from 'vitest/config';

/**
 * One package's vitest project, with the defaults every package shares. Generous timeouts: CI and
 * development machines have 2 cores shared by every project's workers, the OCR and the emulators.
 *
 * On CI (`CI` set, as `.ci/run` does) a failed test is retried once, so that one rare timing flake
 * on a loaded machine does not fail the whole run. The retry is never silent: the reporter
 * `.ci/flaky-reporter.mjs` records each test that passed only on its retry, and `.ci/run` prints
 * them. Without `CI` there is no retry, so a flaky test fails where a developer sees it.
 */
export function project(name: string, timeouts = { testTimeout: 30_000, hookTimeout: 60_000 }) {
  return defineProject({
    test: {
      name,
      include: ['tests/**/*.test.ts'],
      ...timeouts,
      retry: process.env.CI ? 1 : 0,
    },
  });
}
