import { AuthorizerConfigSchema, parseConfig } from '../config/aws-config.js';
import { createAuthorizer, type AuthorizerEvent } from '../handlers/authorizer-handler.js';
import { ApiKeyAuth } from '../http/api-key-auth.js';
import { createLogger } from '../logging.js';

// The authorizer sits in front of every uncached request, so its cold start is kept to config
// parsing and a hash list: it has one dependency and no container, no AWS SDK, no other ports.
const config = parseConfig(AuthorizerConfigSchema, process.env, 'authorizer');
const authorize = createAuthorizer({
  auth: new ApiKeyAuth(config.API_KEY_SHA256),
  logger: createLogger({
    level: config.LOG_LEVEL,
    format: 'json',
    base: { fn: 'authorizer' },
    write: (l) => console.log(l),
  }),
});

export const handler = (event: AuthorizerEvent) => authorize(event);
