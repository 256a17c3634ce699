import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import { createServiceRole } from './iam.js';
import type { Network } from './network.js';
import type { FileSystem } from './storage.js';

/** Chroma's HTTP port in the official image. */
export const CHROMA_PORT = 8000;

/**
 * The container health check's command: `GET /api/v2/heartbeat` on the task's own port, healthy
 * only when the first response line says 200. It is plain bash (its `/dev/tcp` redirection and
 * `read`) because the official `chromadb/chroma` 1.x image is a Debian slim runtime holding the
 * compiled `chroma` binary and bash, without curl, wget, python or node: an HTTP-client command
 * would exit 127 and mark every task unhealthy. A port-open check alone would pass while the
 * server answers errors, so the status line is read. `timeout` in the task definition bounds a
 * hung server.
 *
 * @example
 * chromaHealthCheckCommand(8000); // ['CMD', '/bin/bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8000 && ...']
 */
export function chromaHealthCheckCommand(port: number = CHROMA_PORT): string[] {
  const script = [
    `exec 3<>/dev/tcp/127.0.0.1/${port}`,
    `printf 'GET /api/v2/heartbeat HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3`,
    `read -r status <&3`,
    `[[ "$status" == HTTP/1.?" 200"* ]]`,
  ].join(' && ');
  return ['CMD', '/bin/bash', '-c', script];
}

/**
 * ECS container health check timings: Chroma on EFS may take a while to load its segments after
 * a restart, so failures during the first two minutes do not count; three failed checks 30 s
 * apart replace the task (and take it out of service discovery).
 */
export const CHROMA_HEALTH_CHECK = { interval: 30, timeout: 5, retries: 3, startPeriod: 120 } as const;

/**
 * The security group of self-hosted Chroma tasks: the Lambdas may reach CHROMA_PORT, and the
 * tasks may reach HTTPS (image pull and logs, through the NAT). Created before the
 * file system so that EFS can admit it.
 */
export function createChromaSecurityGroup(ctx: StackContext, net: Network): aws.ec2.SecurityGroup {
  const sg = new aws.ec2.SecurityGroup('chroma-sg', {
    vpcId: net.vpc.id,
    description: `Chroma on Fargate: ${CHROMA_PORT} from the Lambdas`,
    tags: { ...ctx.tags, Name: `${ctx.prefix}-chroma-sg` },
  });
  new aws.vpc.SecurityGroupIngressRule(`chroma-in-${CHROMA_PORT}-lambda`, {
    securityGroupId: sg.id,
    ipProtocol: 'tcp',
    fromPort: CHROMA_PORT,
    toPort: CHROMA_PORT,
    referencedSecurityGroupId: net.lambdaSecurityGroup.id,
    description: 'Chroma API from the VPC Lambdas',
  });
  new aws.vpc.SecurityGroupEgressRule(`lambda-out-${CHROMA_PORT}-chroma`, {
    securityGroupId: net.lambdaSecurityGroup.id,
    ipProtocol: 'tcp',
    fromPort: CHROMA_PORT,
    toPort: CHROMA_PORT,
    referencedSecurityGroupId: sg.id,
    description: 'Chroma API',
  });
  new aws.vpc.SecurityGroupEgressRule('chroma-out-443', {
    securityGroupId: sg.id,
    ipProtocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    cidrIpv4: '0.0.0.0/0',
    description: 'Image pull and CloudWatch Logs, through the NAT',
  });
  // The awslogs driver ships from the task's own ENI: through the NAT, or through an interface
  // endpoint for Logs when one exists for a function that calls it.
  if (net.endpointSecurityGroup) {
    new aws.vpc.SecurityGroupIngressRule('endpoint-in-443-chroma', {
      securityGroupId: net.endpointSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: sg.id,
      description: 'HTTPS from the Chroma tasks',
    });
  }
  return sg;
}

/**
 * One Chroma task on Fargate (arm64) in the private subnets, persisting to the EFS access
 * point at /data, discoverable as `chroma.<prefix>.internal`. One task only: two servers on
 * one persist directory would corrupt it, so deployments stop the old task first.
 */
export function createChromaService(
  ctx: StackContext,
  net: Network,
  sg: aws.ec2.SecurityGroup,
  fs: FileSystem,
): { url: pulumi.Output<string>; service: aws.ecs.Service } {
  const { cfg } = ctx;
  const namespace = new aws.servicediscovery.PrivateDnsNamespace('chroma-ns', {
    name: `${ctx.prefix}.internal`,
    vpc: net.vpc.id,
    tags: ctx.tags,
  });
  const discovery = new aws.servicediscovery.Service('chroma-discovery', {
    name: 'chroma',
    dnsConfig: { namespaceId: namespace.id, dnsRecords: [{ type: 'A', ttl: 10 }], routingPolicy: 'MULTIVALUE' },
    // ECS reports the container health check's status to Cloud Map: an unhealthy task's address
    // leaves the DNS answer instead of receiving compaction's calls. (There is no load balancer:
    // one task, reached by name, so the container check is the only health check there is.)
    healthCheckCustomConfig: { failureThreshold: 1 },
    tags: ctx.tags,
  });
  const logGroup = new aws.cloudwatch.LogGroup('chroma-logs', {
    name: `/ecs/${ctx.prefix}-chroma`,
    retentionInDays: cfg.logRetentionDays,
    tags: ctx.tags,
  });
  const { role: executionRole } = createServiceRole(
    ctx,
    { role: 'chroma-execution-role', policy: 'chroma-execution-policy', physicalName: `${ctx.prefix}-chroma-exec` },
    'ecs-tasks.amazonaws.com',
    logGroup.arn.apply((arn) => [
      {
        Sid: 'WriteTaskLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${arn}:*`,
      },
    ]),
  );
  const { role: taskRole } = createServiceRole(
    ctx,
    { role: 'chroma-task-role', policy: 'chroma-task-policy', physicalName: `${ctx.prefix}-chroma-task` },
    'ecs-tasks.amazonaws.com',
    pulumi.all([fs.fileSystem.arn, fs.accessPoint.arn]).apply(([fsArn, apArn]) => [
      {
        Sid: 'MountChromaAccessPoint',
        Effect: 'Allow',
        Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        Resource: fsArn,
        Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': apArn } },
      },
    ]),
  );
  const cluster = new aws.ecs.Cluster('chroma-cluster', { name: `${ctx.prefix}-chroma`, tags: ctx.tags });
  const taskDefinition = new aws.ecs.TaskDefinition('chroma-task', {
    family: `${ctx.prefix}-chroma`,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(cfg.chromaCpu),
    memory: String(cfg.chromaMemoryMb),
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    executionRoleArn: executionRole.arn,
    taskRoleArn: taskRole.arn,
    volumes: [
      {
        name: 'chroma-data',
        efsVolumeConfiguration: {
          fileSystemId: fs.fileSystem.id,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: fs.accessPoint.id, iam: 'ENABLED' },
        },
      },
    ],
    containerDefinitions: pulumi.jsonStringify([
      {
        name: 'chroma',
        image: cfg.chromaImage,
        essential: true,
        portMappings: [{ containerPort: CHROMA_PORT, protocol: 'tcp' }],
        mountPoints: [{ sourceVolume: 'chroma-data', containerPath: '/data' }],
        healthCheck: { command: chromaHealthCheckCommand(CHROMA_PORT), ...CHROMA_HEALTH_CHECK },
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': logGroup.name, 'awslogs-region': net.region, 'awslogs-stream-prefix': 'chroma' },
        },
      },
    ]),
    tags: ctx.tags,
  });
  const service = new aws.ecs.Service(
    'chroma-service',
    {
      name: 'chroma',
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: 1,
      launchType: 'FARGATE',
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      networkConfiguration: {
        subnets: net.privateSubnets.map((s) => s.id),
        securityGroups: [sg.id],
        assignPublicIp: false,
      },
      serviceRegistries: { registryArn: discovery.arn },
      tags: ctx.tags,
    },
    { dependsOn: fs.mountTargets },
  );
  return { url: pulumi.interpolate`http://chroma.${namespace.name}:${CHROMA_PORT}`, service };
}
