import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { API_FUNCTIONS, API_ROUTES, routeArnPath, routeLogicalName } from './api-routes.js';
import type { StackContext } from './context.js';
import type { FunctionName } from './function-specs.js';

export { API_ROUTES } from './api-routes.js';

/** How long API Gateway caches an authorizer answer per Authorization value (the maximum is 3600). */
export const AUTHORIZER_CACHE_SECONDS = 300;

/**
 * One JSON line per request in the stage's access log: who, what, the answer, and why an
 * authorizer or integration failed.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  sourceIp: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
});

export interface Api {
  api: aws.apigatewayv2.Api;
  stage: aws.apigatewayv2.Stage;
  authorizer: aws.apigatewayv2.Authorizer;
  accessLogs: aws.cloudwatch.LogGroup;
  /** The custom domain's URL when configured, else the API's default endpoint. */
  url: pulumi.Output<string>;
}

/**
 * An HTTP API in front of the API functions (upload, receipts-read, ...), with stage-wide
 * throttling and JSON access logs. Each route of `API_ROUTES` targets its own function's
 * integration, and each function may be invoked by this API only on its own routes (one
 * permission per route), so no route reaches another function. Every route goes through a Lambda
 * REQUEST authorizer (the bearer key's SHA-256 against API_KEY_SHA256, answers cached per
 * Authorization value), so an unauthenticated request never invokes a function; a request
 * without the header is refused by API Gateway itself. Each function's router checks the key
 * again (the local server has no gateway in front).
 * With `apiDomainName`, a custom domain with either the given ACM certificate or a
 * DNS-validated one in `apiHostedZoneId`, and the default execute-api endpoint is disabled so
 * that the domain is the only way in.
 */
export function createApi(ctx: StackContext, fns: Record<FunctionName, aws.lambda.Function>): Api {
  const { cfg } = ctx;
  const api = new aws.apigatewayv2.Api('http-api', {
    name: `${ctx.prefix}-api`,
    protocolType: 'HTTP',
    disableExecuteApiEndpoint: cfg.apiDomainName !== undefined,
    tags: ctx.tags,
  });
  const authorizer = new aws.apigatewayv2.Authorizer('api-authorizer', {
    apiId: api.id,
    name: `${ctx.prefix}-bearer-key`,
    authorizerType: 'REQUEST',
    authorizerUri: fns.authorizer.invokeArn,
    authorizerPayloadFormatVersion: '2.0',
    enableSimpleResponses: true,
    identitySources: ['$request.header.Authorization'],
    authorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
  });
  new aws.lambda.Permission('authorizer-invoke-from-api', {
    action: 'lambda:InvokeFunction',
    function: fns.authorizer.name,
    principal: 'apigateway.amazonaws.com',
    sourceArn: pulumi.interpolate`${api.executionArn}/authorizers/${authorizer.id}`,
  });
  const integrations = new Map<FunctionName, aws.apigatewayv2.Integration>();
  for (const name of API_FUNCTIONS) {
    integrations.set(
      name,
      new aws.apigatewayv2.Integration(`${name}-integration`, {
        apiId: api.id,
        integrationType: 'AWS_PROXY',
        integrationUri: fns[name].invokeArn,
        integrationMethod: 'POST',
        payloadFormatVersion: '2.0',
      }),
    );
  }
  for (const [routeKey, name] of Object.entries(API_ROUTES)) {
    const logical = routeLogicalName(routeKey);
    new aws.apigatewayv2.Route(`route-${logical}`, {
      apiId: api.id,
      routeKey,
      target: pulumi.interpolate`integrations/${integrations.get(name)!.id}`,
      authorizationType: 'CUSTOM',
      authorizerId: authorizer.id,
    });
    // This API, any stage, this route only: the function cannot be invoked through another route.
    new aws.lambda.Permission(`invoke-${logical}`, {
      action: 'lambda:InvokeFunction',
      function: fns[name].name,
      principal: 'apigateway.amazonaws.com',
      sourceArn: pulumi.interpolate`${api.executionArn}/*/${routeArnPath(routeKey)}`,
    });
  }
  const accessLogs = new aws.cloudwatch.LogGroup('api-access-logs', {
    name: `/aws/apigateway/${ctx.prefix}-api`,
    retentionInDays: cfg.logRetentionDays,
    tags: ctx.tags,
  });
  const stage = new aws.apigatewayv2.Stage('default-stage', {
    apiId: api.id,
    name: '$default',
    autoDeploy: true,
    defaultRouteSettings: {
      throttlingRateLimit: cfg.apiThrottleRateLimit,
      throttlingBurstLimit: cfg.apiThrottleBurstLimit,
    },
    accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
    tags: ctx.tags,
  });

  let url: pulumi.Output<string> = api.apiEndpoint;
  if (cfg.apiDomainName) {
    const certificateArn = cfg.apiCertificateArn ?? issueCertificate(ctx, cfg.apiDomainName, cfg.apiHostedZoneId!);
    const domain = new aws.apigatewayv2.DomainName('api-domain', {
      domainName: cfg.apiDomainName,
      domainNameConfiguration: { certificateArn, endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' },
      tags: ctx.tags,
    });
    new aws.apigatewayv2.ApiMapping('api-mapping', { apiId: api.id, domainName: domain.id, stage: stage.id });
    if (cfg.apiHostedZoneId) {
      new aws.route53.Record('api-alias', {
        zoneId: cfg.apiHostedZoneId,
        name: cfg.apiDomainName,
        type: 'A',
        aliases: [
          {
            name: domain.domainNameConfiguration.targetDomainName,
            zoneId: domain.domainNameConfiguration.hostedZoneId,
            evaluateTargetHealth: false,
          },
        ],
      });
    }
    url = pulumi.output(`https://${cfg.apiDomainName}`);
  }
  return { api, stage, authorizer, accessLogs, url };
}

/** An ACM certificate for `domainName`, validated through a DNS record in `zoneId`. */
function issueCertificate(ctx: StackContext, domainName: string, zoneId: string): pulumi.Output<string> {
  const cert = new aws.acm.Certificate('api-cert', { domainName, validationMethod: 'DNS', tags: ctx.tags });
  const option = cert.domainValidationOptions.apply((o) => o[0]!);
  const record = new aws.route53.Record('api-cert-validation', {
    zoneId,
    name: option.resourceRecordName,
    type: option.resourceRecordType,
    records: [option.resourceRecordValue],
    ttl: 300,
    allowOverwrite: true,
  });
  const validation = new aws.acm.CertificateValidation('api-cert-validated', {
    certificateArn: cert.arn,
    validationRecordFqdns: [record.fqdn],
  });
  return validation.certificateArn;
}
