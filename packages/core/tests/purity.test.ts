import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

const FORBIDDEN_MODULES = [
  /^@aws-sdk\//,
  /^inversify$/,
  /^chromadb/,
  /^openai/,
  /^@pulumi\//,
  /^node:/,
  /^(fs|fs\/promises|http|https|net|child_process|os|path|crypto|worker_threads)$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function importedModules(code: string): string[] {
  const specs: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  for (const m of code.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** Code without comments, so prose like "the process." does not count as a reference. */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('core purity', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('imports no AWS SDK, Inversify, chromadb, openai, Pulumi or node built-ins', () => {
    const offences = files.flatMap((file) =>
      importedModules(readFileSync(file, 'utf8'))
        .filter((spec) => FORBIDDEN_MODULES.some((re) => re.test(spec)))
        .map((spec) => `${relative(SRC, file)} imports ${spec}`),
    );
    expect(offences).toEqual([]);
  });

  it('never touches process or the wall clock in core logic', () => {
    const offences = files.flatMap((file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const found: string[] = [];
      if (/\bprocess\s*\./.test(code)) found.push(`${relative(SRC, file)} references process.`);
      if (/\bDate\.now\s*\(/.test(code)) found.push(`${relative(SRC, file)} calls Date.now() (use the Clock port)`);
      return found;
    });
    expect(offences).toEqual([]);
  });

  it('detects a forbidden import when there is one (the check itself works)', () => {
    const specs = importedModules(
      "import { S3Client } from '@aws-sdk/client-s3';\nconst fs = await import('node:fs');",
    );
    expect(specs.filter((s) => FORBIDDEN_MODULES.some((re) => re.test(s)))).toEqual(['@aws-sdk/client-s3', 'node:fs']);
  });
});
