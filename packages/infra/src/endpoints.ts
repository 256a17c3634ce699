import { InfraConfigError } from './errors.js';
import type { FunctionName, NetworkPath, Trigger } from './function-specs.js';
import { servicesCalledByCode } from './iam-policies.js';

/**
 * Which VPC endpoints the stack needs, derived from what each function in the VPC calls: its
 * IAM policy, minus the statements the Lambda service uses on its behalf (`LAMBDA_SERVICE_SIDS`).
 * `network.ts` creates exactly these, the doctor checks and explains them, and the cost model
 * prices what was created. An endpoint keeps a function's AWS calls off the NAT instance, so
 * they do not depend on it; nothing else earns one. The exceptions are the services of
 * {@link NAT_SERVICES}: calls that may fail, because their caller falls back safely, go through
 * the NAT instance rather than pay for an endpoint.
 */

/** Services reached through a (free) gateway endpoint on the route tables. */
export const GATEWAY_SERVICES = ['s3', 'dynamodb'] as const;

/** IAM prefix → the interface endpoint's service (`com.amazonaws.<region>.<service>`). */
export const INTERFACE_SERVICES: Readonly<Record<string, NetworkPath>> = {
  sqs: 'sqs',
  logs: 'logs',
  cloudwatch: 'monitoring',
  sns: 'sns',
  secretsmanager: 'secretsmanager',
  kms: 'kms',
  ssm: 'ssm',
};

/**
 * IAM prefix → why a VPC function's calls to it go through the NAT instance (the `internet`
 * path) rather than an interface endpoint. SQS: the queue consumers' only call is
 * ChangeMessageVisibility on their own queue, to retry a message soon. An endpoint would cost
 * about $7.30 a month per AZ for a few requests (issue 17); through the NAT it costs nothing
 * more, the traffic is a few hundred bytes per failed message, TLS to SQS's public endpoint; and
 * when the NAT instance is down the call fails fast (SETTLE_CALL_LIMITS in the handlers) and the
 * record is reported as a batch item failure, so the queue's visibility timeout brings it back:
 * later than asked, never lost.
 */
export const NAT_SERVICES: Readonly<Record<string, string>> = {
  sqs:
    'ChangeMessageVisibility on its own queue (a short retry), through the NAT instance: no endpoint to pay for, ' +
    'and if the NAT is down the call fails fast and the message comes back after the visibility timeout instead',
};

const INTERFACE_PATHS: ReadonlySet<NetworkPath> = new Set(Object.values(INTERFACE_SERVICES));

/** True for a path served by an interface endpoint. */
export function isInterfacePath(path: NetworkPath): boolean {
  return INTERFACE_PATHS.has(path);
}

/**
 * The AWS paths a function needs from the VPC: one per service its code calls (`internet` for
 * those of {@link NAT_SERVICES}). Throws when the code may call a service this table does not
 * know, rather than deploying a path that fails.
 */
export function awsPathsOf(fn: FunctionName, opts: { inVpc: boolean; efs: boolean }): NetworkPath[] {
  const paths: NetworkPath[] = [];
  for (const service of servicesCalledByCode(fn, opts)) {
    if ((GATEWAY_SERVICES as readonly string[]).includes(service)) paths.push(service as NetworkPath);
    else if (NAT_SERVICES[service]) {
      if (!paths.includes('internet')) paths.push('internet');
    } else if (INTERFACE_SERVICES[service]) paths.push(INTERFACE_SERVICES[service]);
    else if (opts.inVpc) {
      throw new InfraConfigError(
        `${fn} runs in the VPC and its policy allows ${service}:*, which has no endpoint mapping; add it to INTERFACE_SERVICES in src/endpoints.ts`,
      );
    }
  }
  return paths;
}

/** What the endpoint derivation needs of a function plan. */
export interface EndpointInput {
  name: FunctionName;
  inVpc: boolean;
  trigger: Trigger;
  paths: readonly NetworkPath[];
}

/** The interface endpoints to create: every interface path of a function in the VPC, sorted. */
export function interfaceEndpointServices(fns: readonly EndpointInput[]): NetworkPath[] {
  return [...new Set(fns.filter((f) => f.inVpc).flatMap((f) => f.paths.filter(isInterfacePath)))].sort();
}

/** One function's verdict on one endpoint, with the reason in words. */
export interface EndpointDecision {
  function: FunctionName;
  service: string;
  verdict: 'gateway' | 'interface' | 'nat' | 'not needed';
  reason: string;
}

/** The seed's interface endpoints, explained even when absent. */
const SEED_ENDPOINTS = ['sqs', 'logs'] as const;

/**
 * For each function in the VPC: every endpoint it needs and why, which services its code reaches
 * through the NAT instance instead, and why the seed's SQS and Logs endpoints are not needed
 * when its code does not call them.
 */
export function explainEndpoints(fns: readonly EndpointInput[]): EndpointDecision[] {
  const out: EndpointDecision[] = [];
  for (const f of fns.filter((x) => x.inVpc)) {
    for (const path of f.paths) {
      if ((GATEWAY_SERVICES as readonly string[]).includes(path)) {
        out.push({
          function: f.name,
          service: path,
          verdict: 'gateway',
          reason: `its code calls ${path} (IAM policy); gateway endpoints are free`,
        });
      } else if (isInterfacePath(path)) {
        out.push({
          function: f.name,
          service: path,
          verdict: 'interface',
          reason: `its code calls ${path} (IAM policy), kept off the NAT instance`,
        });
      }
    }
    const called = servicesCalledByCode(f.name, { inVpc: true });
    for (const [service, why] of Object.entries(NAT_SERVICES)) {
      if (!called.includes(service) || f.paths.includes(service as NetworkPath)) continue;
      out.push({ function: f.name, service, verdict: 'nat', reason: `its code calls ${service}: ${why}` });
    }
    for (const seed of SEED_ENDPOINTS) {
      if (f.paths.includes(seed) || (NAT_SERVICES[seed] && called.includes(seed))) continue;
      out.push({ function: f.name, service: seed, verdict: 'not needed', reason: notNeededReason(seed, f.trigger) });
    }
  }
  return out;
}

function notNeededReason(service: 'sqs' | 'logs', trigger: Trigger): string {
  if (service === 'logs') {
    return (
      'its code calls no CloudWatch Logs API: the Lambda runtime ships stdout/stderr to CloudWatch Logs ' +
      "through the Lambda service, not the function's VPC network interfaces"
    );
  }
  if (trigger.kind === 'sqs') {
    return (
      `its code calls no SQS API: the event source mapping polls ${trigger.queue}-queue from the Lambda service, ` +
      'outside the VPC, invokes the function with the batch and deletes what succeeded (ReportBatchItemFailures); ' +
      "the role's sqs:ReceiveMessage/DeleteMessage are the mapping's"
    );
  }
  return 'its code calls no SQS API';
}
