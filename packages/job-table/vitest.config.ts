import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'job-table',
    include: ['tests/**/*.test.ts'],
  },
});
