import { noopMetrics, type Logger, type Metrics } from '@receiptflow/core';
import type { ApiKeyAuth } from './api-key-auth.js';
import { errorResult, header, type HttpApiEvent, type HttpApiResult } from './api-gateway.js';
import { uploadErrorResult } from './upload-request.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** An API Gateway route key: method, space, path template (`{name}` for a path parameter). */
export type RouteKey = `${HttpMethod} /${string}`;

/** A request as a route sees it: the caller's owner, decoded path parameters, the checked query. */
export interface ApiRequest {
  event: HttpApiEvent;
  /** Who is asking: the owner of the bearer key (DEFAULT_OWNER in open loopback mode). */
  owner: string;
  params: Record<string, string>;
  query: Record<string, string>;
}

export interface ApiRoute {
  key: RouteKey;
  /**
   * The query parameters the route reads. Any other one is a 400 naming it: a misspelt filter
   * (`?merchnat=`) must not silently list everything.
   */
  query: readonly string[];
  handle(request: ApiRequest): Promise<HttpApiResult>;
}

export interface ApiRouterDeps {
  auth: ApiKeyAuth;
  logger: Logger;
  /** Counts `Failures`: requests answered 5xx. */
  metrics?: Metrics;
}

/** Where API Gateway puts a Lambda authorizer's context (payload v2, simple responses). */
interface AuthorizerContext {
  authorizer?: { lambda?: { owner?: unknown } };
}

interface CompiledRoute extends ApiRoute {
  method: string;
  pattern: RegExp;
  names: string[];
}

/**
 * The HTTP API: one router for the local server and every API Lambda, each giving it the routes
 * it serves. It checks the bearer key and learns its owner (the function's own ApiKeyAuth: the
 * local server has no gateway in front; behind API Gateway the authorizer's `context.owner` must
 * agree, or the two were configured with different keys), matches the route, refuses unknown
 * query parameters, maps what a route throws to an answer (400 VALIDATION_FAILED, 404 NOT_FOUND,
 * 409, else 503/500 without the cause), and counts 5xx answers as `Failures`.
 *
 * @example
 * const api = createApiRouter([...uploadRoutes(deps), ...readRoutes(deps)], { auth, logger, metrics });
 * await api(event); // GET /receipts/img-1/1 → the receipt route's answer, for the key's owner
 */
export function createApiRouter(routes: readonly ApiRoute[], deps: ApiRouterDeps) {
  const metrics = deps.metrics ?? noopMetrics;
  const compiled = routes.map(compile);

  return async function api(event: HttpApiEvent): Promise<HttpApiResult> {
    const owner = deps.auth.ownerOf(header(event, 'authorization'));
    if (owner === null) return errorResult(401, 'UNAUTHORIZED', 'missing or invalid bearer token');
    const fromAuthorizer = (event.requestContext as AuthorizerContext).authorizer?.lambda?.owner;
    if (fromAuthorizer !== undefined && fromAuthorizer !== owner) {
      deps.logger.error('authorizer and function disagree on the key owner', {
        request_id: event.requestContext.requestId ?? null,
      });
      return errorResult(401, 'UNAUTHORIZED', 'the key is configured differently for the authorizer and this function');
    }
    const method = event.requestContext.http.method.toUpperCase();
    metrics.count('Failures', 0);
    try {
      const found = match(compiled, method, event.rawPath);
      if (!found) return errorResult(404, 'NOT_FOUND', `no route ${method} ${event.rawPath}`);
      const query = event.queryStringParameters ?? {};
      const unknown = Object.keys(query).filter((name) => !found.route.query.includes(name));
      if (unknown.length > 0) {
        const accepted = found.route.query.length > 0 ? `accepted: ${found.route.query.join(', ')}` : 'it takes none';
        return errorResult(
          400,
          'VALIDATION_FAILED',
          `unknown query parameter ${unknown.join(', ')} for ${found.route.key} (${accepted})`,
        );
      }
      const defined = Object.fromEntries(
        Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined),
      );
      return await found.route.handle({ event, owner, params: found.params, query: defined });
    } catch (error) {
      const result = uploadErrorResult(error, deps.logger);
      if (result.statusCode >= 500) metrics.count('Failures');
      return result;
    } finally {
      metrics.flush();
    }
  };
}

function compile(route: ApiRoute): CompiledRoute {
  const [method, path] = route.key.split(' ') as [string, string];
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([a-z_]+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}$`), names };
}

function match(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
): { route: CompiledRoute; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
    } catch {
      continue; // a malformed escape matches no route
    }
    return { route, params };
  }
  return null;
}
