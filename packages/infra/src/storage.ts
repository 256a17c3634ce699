import * as aws from '@pulumi/aws';
import type { StackContext } from './context.js';
import { tlsOnlyPolicyJson } from './iam.js';
import type { Network } from './network.js';
import { EXPORTS_PREFIX } from './iam-policies.js';
import { VECTOR_INDEX_PREFIX } from './plan.js';

/** Object tag the compactor puts on a snapshot it has replaced; lifecycle expires those. */
export const SUPERSEDED_TAG = { key: 'receiptflow-superseded', value: 'true' } as const;

/** How long an export (receipts-export, `exports/` in the artifacts bucket) is kept. */
export const EXPORT_EXPIRATION_DAYS = 1;

/** The three buckets of the deployment contract. */
export interface Buckets {
  raw: aws.s3.Bucket;
  artifacts: aws.s3.Bucket;
  vectors: aws.s3.Bucket;
}

/** EFS for the vector store: encrypted, elastic throughput, an access point at /chroma. */
export interface FileSystem {
  fileSystem: aws.efs.FileSystem;
  accessPoint: aws.efs.AccessPoint;
  mountTargets: aws.efs.MountTarget[];
  securityGroup: aws.ec2.SecurityGroup;
}

/** The JSON of a bucket policy that refuses any request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): string {
  return tlsOnlyPolicyJson('s3:*', [bucketArn, `${bucketArn}/*`]);
}

function privateBucket(
  ctx: StackContext,
  key: 'raw' | 'artifacts' | 'vectors',
  opts: { versioned: boolean; rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] },
): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(`${key}-bucket`, { forceDestroy: false, tags: { ...ctx.tags, role: key } });
  new aws.s3.BucketPublicAccessBlock(`${key}-bucket-pab`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls(`${key}-bucket-ownership`, {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${key}-bucket-sse`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketPolicy(`${key}-bucket-policy`, { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyBucketPolicy) });
  let versioning: aws.s3.BucketVersioning | undefined;
  if (opts.versioned) {
    versioning = new aws.s3.BucketVersioning(`${key}-bucket-versioning`, {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
  }
  new aws.s3.BucketLifecycleConfiguration(
    `${key}-bucket-lifecycle`,
    {
      bucket: bucket.id,
      rules: [
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: {},
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
        ...opts.rules,
      ],
    },
    versioning ? { dependsOn: [versioning] } : undefined,
  );
  return bucket;
}

/**
 * Raw images, OCR artifacts (and the exports, expired after a day) and vectors. Vectors is versioned: a snapshot overwritten in place
 * keeps its old version for `snapshotNoncurrentDays`; a snapshot written under a new key and
 * tagged superseded by the compactor expires after the same number of days; merged deltas
 * expire after `deltaExpirationDays`.
 */
export function createBuckets(ctx: StackContext): Buckets {
  const { cfg } = ctx;
  return {
    raw: privateBucket(ctx, 'raw', { versioned: false, rules: [] }),
    artifacts: privateBucket(ctx, 'artifacts', {
      versioned: false,
      rules: [
        {
          // An export is fetched through its 15-minute presigned URL and then has no use; a day
          // leaves room to retry a download. Not versioned: expiry deletes it.
          id: 'expire-exports',
          status: 'Enabled',
          filter: { prefix: EXPORTS_PREFIX },
          expiration: { days: EXPORT_EXPIRATION_DAYS },
        },
      ],
    }),
    vectors: privateBucket(ctx, 'vectors', {
      versioned: true,
      rules: [
        {
          id: 'expire-old-snapshot-versions',
          status: 'Enabled',
          filter: { prefix: 'snapshots/' },
          noncurrentVersionExpiration: { noncurrentDays: cfg.snapshotNoncurrentDays },
        },
        {
          id: 'expire-superseded-snapshots',
          status: 'Enabled',
          filter: { and: { prefix: 'snapshots/', tags: { [SUPERSEDED_TAG.key]: SUPERSEDED_TAG.value } } },
          expiration: { days: cfg.snapshotNoncurrentDays },
        },
        {
          id: 'expire-merged-deltas',
          status: 'Enabled',
          filter: { prefix: 'deltas/' },
          expiration: { days: cfg.deltaExpirationDays },
          noncurrentVersionExpiration: { noncurrentDays: 1 },
        },
        // s3 mode: the index rewrites its manifest on every merge and deletes pruned snapshots
        // and logs; in a versioned bucket each would otherwise be kept, and billed, for ever.
        // Its restore points are its own kept snapshots (VECTOR_KEEP_SNAPSHOTS), not versions.
        ...(cfg.vectorStorageMode === 's3'
          ? [
              {
                id: 'expire-replaced-index-objects',
                status: 'Enabled',
                filter: { prefix: `${VECTOR_INDEX_PREFIX}/` },
                noncurrentVersionExpiration: { noncurrentDays: 1 },
              },
            ]
          : []),
      ],
    }),
  };
}

/** A client of the file system: its security group gets NFS (2049) in. */
export interface EfsClient {
  name: string;
  securityGroup: aws.ec2.SecurityGroup;
}

/** EFS with mount targets in every private (Lambda) subnet; NFS only from `clients`. */
export function createFileSystem(ctx: StackContext, net: Network, clients: EfsClient[]): FileSystem {
  const securityGroup = new aws.ec2.SecurityGroup('efs-sg', {
    vpcId: net.vpc.id,
    description: 'EFS mount targets: NFS from the vector-store clients only',
    tags: { ...ctx.tags, Name: `${ctx.prefix}-efs-sg` },
  });
  for (const client of clients) {
    new aws.vpc.SecurityGroupIngressRule(`efs-in-2049-${client.name}`, {
      securityGroupId: securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 2049,
      toPort: 2049,
      referencedSecurityGroupId: client.securityGroup.id,
      description: `NFS from ${client.name}`,
    });
    new aws.vpc.SecurityGroupEgressRule(`${client.name}-out-2049-efs`, {
      securityGroupId: client.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 2049,
      toPort: 2049,
      referencedSecurityGroupId: securityGroup.id,
      description: 'NFS to the EFS mount targets',
    });
  }
  const fileSystem = new aws.efs.FileSystem('chroma-efs', {
    encrypted: true,
    throughputMode: 'elastic',
    performanceMode: 'generalPurpose',
    lifecyclePolicies: [{ transitionToIa: 'AFTER_30_DAYS' }],
    tags: { ...ctx.tags, Name: `${ctx.prefix}-chroma` },
  });
  const mountTargets = net.privateSubnets.map(
    (subnet, i) =>
      new aws.efs.MountTarget(`chroma-efs-mt-${i}`, {
        fileSystemId: fileSystem.id,
        subnetId: subnet.id,
        securityGroups: [securityGroup.id],
      }),
  );
  const accessPoint = new aws.efs.AccessPoint('chroma-ap', {
    fileSystemId: fileSystem.id,
    posixUser: { uid: 1000, gid: 1000 },
    rootDirectory: { path: '/chroma', creationInfo: { ownerUid: 1000, ownerGid: 1000, permissions: '750' } },
    tags: { ...ctx.tags, Name: `${ctx.prefix}-chroma-ap` },
  });
  return { fileSystem, accessPoint, mountTargets, securityGroup };
}
