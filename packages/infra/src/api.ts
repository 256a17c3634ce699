import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';

/** The routes of the HTTP API, all served by the upload function. */
export const API_ROUTES = ['POST /upload-receipt', 'POST /upload-complete', 'GET /upload-status'] as const;

export interface Api {
  api: aws.apigatewayv2.Api;
  stage: aws.apigatewayv2.Stage;
  /** The custom domain's URL when configured, else the API's default endpoint. */
  url: pulumi.Output<string>;
}

/**
 * An HTTP API in front of the upload function, with stage-wide throttling. Authentication is
 * the handler's bearer-key check against API_KEY_SHA256. With `apiDomainName`, a custom domain
 * with either the given ACM certificate or a DNS-validated one in `apiHostedZoneId`.
 */
export function createApi(ctx: StackContext, upload: aws.lambda.Function): Api {
  const { cfg } = ctx;
  const api = new aws.apigatewayv2.Api('http-api', {
    name: `${ctx.prefix}-api`,
    protocolType: 'HTTP',
    tags: ctx.tags,
  });
  const integration = new aws.apigatewayv2.Integration('upload-integration', {
    apiId: api.id,
    integrationType: 'AWS_PROXY',
    integrationUri: upload.invokeArn,
    integrationMethod: 'POST',
    payloadFormatVersion: '2.0',
  });
  for (const routeKey of API_ROUTES) {
    const logical = routeKey.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    new aws.apigatewayv2.Route(`route-${logical}`, {
      apiId: api.id,
      routeKey,
      target: pulumi.interpolate`integrations/${integration.id}`,
    });
  }
  const stage = new aws.apigatewayv2.Stage('default-stage', {
    apiId: api.id,
    name: '$default',
    autoDeploy: true,
    defaultRouteSettings: { throttlingRateLimit: cfg.apiThrottleRateLimit, throttlingBurstLimit: cfg.apiThrottleBurstLimit },
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
  return { api, stage, url };
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
