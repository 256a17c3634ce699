/** The test projects; the root vitest.config.ts passes this list to `test.projects`. */
export default [
  'packages/core',
  'packages/job-table',
  'packages/adapters-local',
  'packages/adapters-aws',
  'packages/handlers',
  'packages/ocr-mac',
  'packages/worker',
  'packages/infra',
  'packages/devkit',
  'packages/console',
];
