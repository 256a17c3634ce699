import type { Logger } from '@receiptflow/core';
import type { ApiKeyAuth } from '../http/api-key-auth.js';

/**
 * The parts of an HTTP API Lambda REQUEST authorizer event (payload format 2.0) that are read.
 * `identitySource` holds the values of the configured identity sources, here the Authorization
 * header; API Gateway answers 401 itself when that header is missing, without invoking this.
 */
export interface AuthorizerEvent {
  type?: string;
  routeKey?: string;
  identitySource?: string[] | null;
  headers?: Record<string, string | undefined>;
  requestContext?: { requestId?: string; http?: { sourceIp?: string } };
}

/**
 * The "simple response" of payload format 2.0 (`enableSimpleResponses`). `context` reaches the
 * integration as `requestContext.authorizer.lambda` (and is cached with the answer, per key).
 */
export interface AuthorizerResult {
  isAuthorized: boolean;
  context?: { owner: string };
}

/**
 * The API's Lambda authorizer: allows a request when its `Authorization: Bearer <key>` hashes
 * (SHA-256) to one of the configured hashes, compared in constant time by the same ApiKeyAuth
 * the upload function uses. API Gateway caches the answer per Authorization value for the
 * authorizer's TTL, so a key is checked once per TTL, and an unauthenticated request never
 * reaches (or bills) the API functions. An allowed request carries the key's owner in
 * `context.owner`, which the API reads (`requestContext.authorizer.lambda.owner`). Fails
 * closed: with no hashes configured, it denies.
 *
 * @example
 * const authorize = createAuthorizer({ auth: new ApiKeyAuth([{ owner: 'alice', sha256: ApiKeyAuth.hash('k') }]), logger });
 * await authorize({ identitySource: ['Bearer k'] }); // { isAuthorized: true, context: { owner: 'alice' } }
 */
export function createAuthorizer(deps: { auth: ApiKeyAuth; logger: Logger }) {
  return async function authorize(event: AuthorizerEvent): Promise<AuthorizerResult> {
    const authorization = event.identitySource?.[0] ?? headerOf(event, 'authorization');
    const owner = deps.auth.isOpen ? null : deps.auth.ownerOf(authorization);
    if (owner === null) {
      deps.logger.info('request denied', {
        route: event.routeKey ?? null,
        request_id: event.requestContext?.requestId ?? null,
        source_ip: event.requestContext?.http?.sourceIp ?? null,
        reason: authorization ? 'unknown key' : 'no bearer token',
      });
      return { isAuthorized: false };
    }
    return { isAuthorized: true, context: { owner } };
  };
}

function headerOf(event: AuthorizerEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}
