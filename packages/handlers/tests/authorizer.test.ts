import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthorizerConfigSchema, parseConfig } from '../src/config/aws-config.js';
import { createAuthorizer, type AuthorizerEvent } from '../src/handlers/authorizer-handler.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { collectingLogger } from './support/fixtures.js';

const KEY = 'k-3f9a0c1d2e';
const OTHER = 'k-second-key';

/** A payload-2.0 REQUEST authorizer event as API Gateway sends it with identitySource `$request.header.Authorization`. */
function event(authorization: string | undefined): AuthorizerEvent {
  return {
    type: 'REQUEST',
    routeKey: 'POST /upload-receipt',
    identitySource: authorization === undefined ? null : [authorization],
    headers: authorization === undefined ? {} : { authorization },
    requestContext: { requestId: 'r-1', http: { sourceIp: '203.0.113.9' } },
  };
}

describe('API authorizer', () => {
  const logger = collectingLogger();
  const authorize = createAuthorizer({
    auth: new ApiKeyAuth([ApiKeyAuth.hash(KEY), { owner: 'bob', sha256: ApiKeyAuth.hash(OTHER) }]),
    logger,
  });

  it("allows a bearer token whose SHA-256 is configured, any of several, and passes on the key's owner", async () => {
    expect(await authorize(event(`Bearer ${KEY}`))).toEqual({ isAuthorized: true, context: { owner: 'default' } });
    expect(await authorize(event(`bearer ${OTHER}`))).toEqual({ isAuthorized: true, context: { owner: 'bob' } });
  });

  it('denies an unknown key, another scheme, a bare key and no header, and logs why without the token', async () => {
    logger.entries.length = 0;
    for (const header of [`Bearer ${KEY}x`, `Basic ${KEY}`, KEY, 'Bearer ', undefined]) {
      expect(await authorize(event(header)), String(header)).toEqual({ isAuthorized: false });
    }
    expect(logger.entries).toHaveLength(5);
    expect(logger.entries.map((e) => e.fields.reason)).toEqual([
      'unknown key',
      'unknown key',
      'unknown key',
      'unknown key',
      'no bearer token',
    ]);
    expect(logger.entries[0]!.fields).toMatchObject({
      route: 'POST /upload-receipt',
      request_id: 'r-1',
      source_ip: '203.0.113.9',
    });
    expect(JSON.stringify(logger.entries)).not.toContain(KEY);
  });

  it('reads the Authorization header (any case) when identitySource is absent', async () => {
    expect(await authorize({ headers: { Authorization: `Bearer ${KEY}` } })).toMatchObject({ isAuthorized: true });
  });

  it('fails closed when no key hash is configured', async () => {
    const open = createAuthorizer({ auth: new ApiKeyAuth([]), logger: collectingLogger() });
    expect(await open(event(`Bearer ${KEY}`))).toEqual({ isAuthorized: false });
  });

  it('needs at least one key hash in its config, and nothing else', () => {
    expect(parseConfig(AuthorizerConfigSchema, { API_KEY_SHA256: ApiKeyAuth.hash(KEY) }, 'authorizer')).toEqual({
      API_KEY_SHA256: [{ owner: 'default', sha256: ApiKeyAuth.hash(KEY) }],
      LOG_LEVEL: 'info',
    });
    expect(() => parseConfig(AuthorizerConfigSchema, {}, 'authorizer')).toThrow(
      /^authorizer: invalid environment: API_KEY_SHA256/,
    );
    expect(() => parseConfig(AuthorizerConfigSchema, { API_KEY_SHA256: 'not-a-hash' }, 'authorizer')).toThrow(
      /hex SHA-256/,
    );
  });
});

describe('authorizer Lambda entry', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at import naming API_KEY_SHA256 when it is missing', async () => {
    vi.stubEnv('API_KEY_SHA256', undefined);
    const error = await import('../src/lambda/authorizer.js').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect((error as Error).message).toMatch(/^authorizer: invalid environment: API_KEY_SHA256/);
  });

  it('authorizes with the hashes from its environment', async () => {
    vi.stubEnv('API_KEY_SHA256', `${ApiKeyAuth.hash(OTHER)},carol:${ApiKeyAuth.hash(KEY)}`);
    vi.stubEnv('LOG_LEVEL', 'error');
    const { handler } = await import('../src/lambda/authorizer.js');
    expect(await handler(event(`Bearer ${KEY}`))).toEqual({ isAuthorized: true, context: { owner: 'carol' } });
    expect(await handler(event(`Bearer ${OTHER}`))).toEqual({ isAuthorized: true, context: { owner: 'default' } });
    expect(await handler(event('Bearer nope'))).toEqual({ isAuthorized: false });
  });
});
