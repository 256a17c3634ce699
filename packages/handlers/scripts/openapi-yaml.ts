import { stringify } from 'yaml';
import { openApiDocument } from '../src/http/openapi/document.js';

const HEADER = '# Generated from the code by `pnpm openapi` (packages/handlers/src/http/openapi). Do not edit.\n';

/**
 * docs/openapi.yaml's text: the document as YAML, long lines kept whole so that diffs stay small.
 *
 * @example
 * await writeFile('docs/openapi.yaml', openApiYaml());
 */
export function openApiYaml(): string {
  return HEADER + stringify(openApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
}
