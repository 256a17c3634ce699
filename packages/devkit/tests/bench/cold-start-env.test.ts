import { describe, expect, it } from 'vitest';
import * as awsConfig from '../../../handlers/src/config/aws-config.js';
import { DUMMY_LAMBDA_ENV } from '../../bench/cold-start.js';

// P5 imports every Lambda bundle with DUMMY_LAMBDA_ENV: a function whose config needs a variable
// the stand-ins lack fails its init, and `pnpm bench` stops (the pipeline function's DLQ URLs did).
const schemas = Object.entries(awsConfig).filter(([name]) => name.endsWith('ConfigSchema'));

describe('DUMMY_LAMBDA_ENV', () => {
  it('finds the config schemas of the functions', () => {
    expect(schemas.map(([name]) => name)).toEqual(
      expect.arrayContaining(['UploadConfigSchema', 'PipelineConfigSchema', 'CompactionConfigSchema']),
    );
  });

  it.each(schemas)('satisfies %s, so that function inits in the cold-start bench', (name, schema) => {
    expect(() => awsConfig.parseConfig(schema as never, { ...DUMMY_LAMBDA_ENV }, name)).not.toThrow();
  });
});
