import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';

/** The routes of the HTTP API, all served by the upload function. */
export const API_ROUTES = ['POST /upload-receipt', 'POST /upload-complete', 'GET /upload-status'] as const;

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
 * An HTTP API in front of the upload function, with stage-wide throttling and JSON access logs.
 * Every route goes through a Lambda REQUEST authorizer (the bearer key's SHA-256 against
 * API_KEY_SHA256, answers cached per Authorization value), so an unauthenticated request never
 * invokes the upload function; a request without the header is refused by API Gateway itself.
 * The upload handler checks the key again (the local server has no gateway in front).
 * With `apiDomainName`, a custom domain with either the given ACM certificate or a
 * DNS-validated one in `apiHostedZoneId`, and the default execute-api endpoint is disabled so
 * that the domain is the only way in.
 */
export function createApi(
  ctx: StackContext,
  fns: { upload: aws.lambda.Function; authorizer: aws.lambda.Function },
): Api {
  const { cfg } = ctx;
  const { upload } = fns;
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
  const integration = new aws.apigatewayv2.Integration('upload-integration', {
    apiId: api.id,
    integrationType: 'AWS_PROXY',
    integrationUri: upload.invokeArn,
    integrationMethod: 'POST',
    payloadFormatVersion: '2.0',
  });
  for (const routeKey of API_ROUTES) {
    const logical = routeKey
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    new aws.apigatewayv2.Route(`route-${logical}`, {
      apiId: api.id,
      routeKey,
      target: pulumi.interpolate`integrations/${integration.id}`,
      authorizationType: 'CUSTOM',
      authorizerId: authorizer.id,
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
  new aws.lambda.Permission('upload-invoke-from-api', {
    action: 'lambda:InvokeFunction',
    function: upload.name,
    principal: 'apigateway.amazonaws.com',
    // Only this API's routes may invoke the function.
    sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
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
