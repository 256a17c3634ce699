import { project } from '../../vitest.project.js';

// job-table's tests are pure and fast: vitest's default timeouts.
export default project('job-table', { testTimeout: 5_000, hookTimeout: 10_000 });
