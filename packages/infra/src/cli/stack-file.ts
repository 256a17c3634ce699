import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { CONFIG_NAMESPACE, parseStackConfig, type RawStackConfig, type StackConfig } from '../config.js';
import { InfraConfigError } from '../errors.js';

/** packages/infra, where Pulumi.yaml and the Pulumi.<stack>.yaml files live. */
export const PROJECT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Stand-ins for `secure:` values, which only `pulumi` can decrypt; shaped to pass validation. */
const SECRET_STAND_INS: Record<string, string> = {
  openaiApiKey: 'doctor-stand-in',
  googlePlacesApiKey: 'doctor-stand-in',
  apiKeySha256: '0'.repeat(64),
};

/**
 * This project's keys from a Pulumi stack file's `config:` map. Encrypted (`secure:`) values
 * become stand-ins; objects and arrays become JSON, as `pulumi config` stores them.
 */
export function rawConfigFromStackYaml(text: string): RawStackConfig {
  const doc = (load(text) ?? {}) as { config?: Record<string, unknown> };
  const raw: RawStackConfig = {};
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    const [ns, key] = fullKey.split(':', 2);
    if (ns !== CONFIG_NAMESPACE || !key) continue;
    if (value && typeof value === 'object' && 'secure' in value) raw[key] = SECRET_STAND_INS[key] ?? 'stand-in';
    else raw[key] = typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
  }
  return raw;
}

/** The stack file's `aws:region`, if set. */
export function regionFromStackYaml(text: string): string | undefined {
  const doc = (load(text) ?? {}) as { config?: Record<string, unknown> };
  const region = doc.config?.['aws:region'];
  return typeof region === 'string' ? region : undefined;
}

/**
 * Reads `Pulumi.<stack>.yaml` (or `file`) for the offline tools. Code is always a placeholder:
 * the doctor and the cost model need no bundles.
 */
export function loadStackFileConfig(opts: { stack: string; file?: string }): {
  config: StackConfig;
  file: string;
  region: string | undefined;
} {
  const file = opts.file ?? join(PROJECT_DIR, `Pulumi.${opts.stack}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InfraConfigError(`Stack config file not found: ${file} (pass --stack NAME or --config FILE)`);
  }
  return {
    config: parseStackConfig({ ...rawConfigFromStackYaml(text), placeholderCode: true }),
    file,
    region: regionFromStackYaml(text),
  };
}

/** `--stack`, `--config`, and the tool's own flags; a leading `--` from pnpm is ignored. */
export function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}
