import type { MetricsFor } from '../../src/container/tokens.js';
import { EmfMetrics } from '../../src/metrics/emf-metrics.js';

/** Units CloudWatch accepts in an EMF metric definition. */
const EMF_UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

/**
 * The problems of one EMF document against the CloudWatch specification ("Specification:
 * embedded metric format"): `_aws` with an epoch-ms Timestamp and 1..n CloudWatchMetrics
 * directives; each with a Namespace, Dimensions (sets of ≤ 30 keys, each a string member at the
 * root) and Metrics (≤ 100 definitions, each Name a numeric member at the root, Unit valid).
 * Empty when valid.
 */
export function emfProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!doc || typeof doc !== 'object') return ['not an object'];
  const root = doc as Record<string, unknown>;
  const aws = root._aws as Record<string, unknown> | undefined;
  if (!aws || typeof aws !== 'object') return ['no _aws member'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp) || aws.Timestamp < 0)
    problems.push('_aws.Timestamp is not epoch ms');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0)
    return [...problems, '_aws.CloudWatchMetrics is not a non-empty array'];
  for (const [i, d] of directives.entries()) {
    const where = `CloudWatchMetrics[${i}]`;
    if (typeof d.Namespace !== 'string' || d.Namespace.length < 1 || d.Namespace.length > 1024)
      problems.push(`${where}.Namespace is not 1-1024 characters`);
    if (!Array.isArray(d.Dimensions)) problems.push(`${where}.Dimensions is not an array`);
    for (const set of d.Dimensions ?? []) {
      if (!Array.isArray(set) || set.length > 30)
        problems.push(`${where}: a dimension set is not an array of at most 30 keys`);
      for (const key of set ?? [])
        if (typeof root[key] !== 'string')
          problems.push(`${where}: dimension ${key} is not a string member at the root`);
    }
    if (!Array.isArray(d.Metrics) || d.Metrics.length === 0 || d.Metrics.length > 100)
      problems.push(`${where}.Metrics is not 1-100 definitions`);
    for (const m of d.Metrics ?? []) {
      if (typeof m.Name !== 'string' || m.Name.length < 1 || m.Name.length > 1024)
        problems.push(`${where}: metric name ${m.Name} is not 1-1024 characters`);
      else if (typeof root[m.Name] !== 'number' || !Number.isFinite(root[m.Name]))
        problems.push(`${where}: metric ${m.Name} is not a number at the root`);
      if (m.Unit !== undefined && !EMF_UNITS.has(m.Unit))
        problems.push(`${where}: unit ${m.Unit} of ${m.Name} is not a CloudWatch unit`);
    }
  }
  return problems;
}

/** Captures every EMF document the handlers write, parsed; `test-<fn>` is each Function dimension. */
export function capturingMetrics(now = () => 1_700_000_000_000): {
  metricsFor: MetricsFor;
  docs: Record<string, unknown>[];
} {
  const docs: Record<string, unknown>[] = [];
  const metricsFor: MetricsFor = (fn) =>
    new EmfMetrics({
      namespace: 'receiptflow-test',
      functionName: `test-${fn}`,
      write: (line) => docs.push(JSON.parse(line)),
      now,
    });
  return { metricsFor, docs };
}

/** Sum of each metric over the documents of one Function, read through the directives (as CloudWatch does). */
export function totals(docs: Record<string, unknown>[], fn: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const doc of docs) {
    if (doc.Function !== `test-${fn}`) continue;
    const directives = (doc._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
    for (const { Name } of directives.flatMap((d) => d.Metrics)) sums[Name] = (sums[Name] ?? 0) + (doc[Name] as number);
  }
  return sums;
}
