import type { Statement as PolicyStatement } from '../../../infra/src/iam-policies.js';
import type { IamRequest } from './iam-requests.js';

/** IAM's wildcards: `*` any run of characters (`/` included), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/**
 * A condition block holds when every operator and key in it holds; a key holds when the request
 * carries it and any of its values matches (a missing key fails, as without `…IfExists`).
 * Only the operators the policies use are known; another one fails the test rather than pass.
 */
function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string> = {}): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      if (operator === 'StringLike') return list(values).some((v) => wildcardMatch(v, actual));
      if (operator === 'StringEquals') return list(values).includes(actual);
      throw new Error(`condition operator ${operator} is not modelled by the IAM test`);
    }),
  );
}

/** The statement applies to the request: action (case-insensitive), resource and conditions all match. */
export function statementMatches(s: PolicyStatement, r: IamRequest): boolean {
  return (
    s.Action.some((a) => wildcardMatch(a, r.action, true)) &&
    list(s.Resource).some((res) => wildcardMatch(res, r.resource)) &&
    conditionHolds(s.Condition, r.context)
  );
}

/** IAM's decision for one identity policy: an explicit Deny wins, else any Allow, else implicit deny. */
export function isAllowed(statements: PolicyStatement[], r: IamRequest): boolean {
  const matching = statements.filter((s) => statementMatches(s, r));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

/**
 * What Allow statements grant that none of `requests` used: each action of a statement must
 * allow at least one request, and each of its resources must be the target of one (a wildcard
 * resource such as `deltas/*` is used by a call on any delta).
 *
 * @example
 * unusedGrants([{ Sid: 'S', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/*' }],
 *   [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', call: 'S3Client GetObjectCommand' }])
 * // [{ sid: 'S', grant: 's3:PutObject' }]
 */
export function unusedGrants(statements: PolicyStatement[], requests: IamRequest[]): { sid: string; grant: string }[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => {
      const used = requests.filter((r) => statementMatches(s, r));
      const actions = s.Action.filter((a) => !used.some((r) => wildcardMatch(a, r.action, true)));
      const resources = list(s.Resource).filter((res) => !used.some((r) => wildcardMatch(res, r.resource)));
      return [...actions, ...resources].map((grant) => ({ sid: s.Sid, grant }));
    });
}
