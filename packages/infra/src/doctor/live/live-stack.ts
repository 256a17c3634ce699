import type { NetworkModel } from '../model.js';

/**
 * The deployed stack as `doctor --live` reads it through the AWS SDK: the same network model
 * the offline doctor builds from the program (so `diagnose` runs on both), plus the run-time
 * state only a deployed stack has.
 */
export interface LiveStack {
  /** Ids are AWS ids (vpc-…, subnet-…); `needs` are filled by the checks from the plan. */
  model: NetworkModel;
  /** Functions the reader looked for and did not find. */
  missingFunctions: string[];
  /** Per function: memory-free facts the checks compare with the plan. */
  functions: LiveFunction[];
  natInstances: LiveNatInstance[];
  /** Every route, with its state (a route to a deleted ENI is a `blackhole`). */
  routes: { routeTableId: string; destination: string; target: string; state: string }[];
  endpoints: { id: string; service: string; type: 'Interface' | 'Gateway'; state: string; privateDns: boolean }[];
  mountTargets: { id: string; fileSystemId: string; subnetId: string; az: string; state: string }[];
  mappings: LiveMapping[];
  queues: LiveQueue[];
}

export interface LiveFunction {
  name: string;
  /** `<prefix>-<name>` */
  physicalName: string;
  timeoutSeconds: number;
  state: string;
}

export interface LiveNatInstance {
  id: string;
  /** pending | running | stopping | stopped | shutting-down | terminated */
  state: string;
  sourceDestCheck: boolean;
  publicIp: string | undefined;
  elasticIp: string | undefined;
}

export interface LiveMapping {
  uuid: string;
  /** Logical function name (without the prefix). */
  functionName: string;
  eventSourceArn: string;
  /** Enabled | Disabled | Creating | Updating | … */
  state: string;
  functionResponseTypes: string[];
}

export interface LiveQueue {
  /** Base name, e.g. `ocr-results-queue`. */
  name: string;
  physicalName: string;
  /** Undefined when the queue does not exist. */
  url: string | undefined;
  attributes: Record<string, string>;
}
