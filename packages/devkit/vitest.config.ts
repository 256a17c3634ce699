import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'devkit',
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
