import type { StateLocation } from '../config.js';
import { LEASE_KEY, PIPELINE_PREFIX, PROBE_PREFIX } from '../lake/layout.js';
import { partitionOfArn, s3Arn, type Partition } from './partition.js';
/** What the policy depends on: the settings, and which optional commands the role will run. */
export interface IamPolicyInput {
  /** S3_BUCKET_NAME; none for a local lake. */
  bucket?: string;
  /** The dataset prefixes in the lake: SNOWFLAKE_STAGE_PREFIX and the episodes dataset. */
  datasetPrefixes: readonly string[];
  /** STATE_URL (a local folder needs no permission). */
  state: StateLocation;
  /** SPOTIFY_TOKEN_SECRET_ID: a secret name or ARN. */
  secretId?: string;
  region?: string;
  accountId?: string;
  partition: Partition;
  /** `lake lifecycle --apply` will run under this role. */
  lifecycle?: boolean;
  /** `snowflake setup` (the bucket notification) will run under this role. */
  snowflakeSetup?: boolean;
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: { StringLike: { 's3:prefix': string[] } };
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface IamPolicy {
  policy: PolicyDocument;
  /** `<placeholders>` left in the policy, each with what to put there. */
  placeholders: { name: string; meaning: string }[];
  /** What a reader should know: what each part is for, and risks of the settings. */
  notes: string[];
}

const REGION_PLACEHOLDER = '<region>';
const ACCOUNT_PLACEHOLDER = '<account-id>';

/** A complete secret ARN ends in the hyphen and six random characters Secrets Manager appends to the name. */
const COMPLETE_SECRET_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$/;

/**
 * The secret's ARN: as given, or built from a name. Secrets Manager appends a hyphen and six random
 * characters to every secret's ARN; `-??????` matches exactly those six, where `-*` would also match
 * another secret whose name merely starts with this one followed by a hyphen. A partial ARN (one without
 * the six characters, which Secrets Manager accepts as a SecretId) gets the same `-??????`: as given it would
 * match no secret's real ARN, and every call would be denied.
 */
export function secretArn(
  secretId: string,
  partition: Partition,
  region: string | undefined,
  accountId: string | undefined,
): string {
  if (secretId.startsWith('arn:'))
    return COMPLETE_SECRET_ARN.test(secretId) ? secretId : `${secretId}-??????`;
  return `arn:${partition}:secretsmanager:${region ?? REGION_PLACEHOLDER}:${accountId ?? ACCOUNT_PLACEHOLDER}:secret:${secretId}-??????`;
}

/** Does one prefix contain the other (then one of them covers the other's objects)? */
function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * The least-privilege IAM policy of the pipeline's role for these settings. Lake objects are write-once:
 * GetObject/PutObject on the dataset prefixes, never DeleteObject. DeleteObject only where the pipeline
 * deletes: its state (outbox entries, compacted log segments) and the PROBE_PREFIX object of `test`. ListBucket
 * only for the prefixes it lists (a condition on s3:prefix). Bucket-level configuration only for the
 * commands that change it, when asked for.
 */
export function buildIamPolicy(input: IamPolicyInput): IamPolicy {
  const arn = (resource: string) => s3Arn(input.partition, resource);
  const statements: PolicyStatement[] = [];
  const notes: string[] = [];
  const placeholders: IamPolicy['placeholders'] = [];
  const datasets = [...new Set(input.datasetPrefixes)];
  const state = input.state.kind === 's3' ? input.state : undefined;

  // Listing is per bucket: the lake's prefixes and a state prefix in the same bucket share one statement.
  const listed = new Map<string, string[]>();
  const list = (bucket: string, prefix: string) => {
    const prefixes = listed.get(bucket) ?? [];
    if (!prefixes.includes(`${prefix}*`)) prefixes.push(`${prefix}*`);
    listed.set(bucket, prefixes);
  };

  if (input.bucket) {
    for (const p of datasets) list(input.bucket, p);
    list(input.bucket, PIPELINE_PREFIX);
  }
  if (state) list(state.bucket, state.prefix);
  for (const [bucket, prefixes] of listed) {
    statements.push({
      Sid: bucket === input.bucket ? 'ListLakePrefixes' : 'ListStatePrefix',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [arn(bucket)],
      Condition: { StringLike: { 's3:prefix': prefixes } },
    });
  }

  if (input.bucket) {
    const b = input.bucket;
    statements.push(
      {
        Sid: 'ReadWriteLakeDatasets',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: datasets.map((p) => arn(`${b}/${p}*`)),
      },
      {
        Sid: 'LakeLease',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [arn(`${b}/${PIPELINE_PREFIX}*`)],
      },
      {
        Sid: 'StorageProbe',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: [arn(`${b}/${PROBE_PREFIX}*`)],
      },
    );
    notes.push(
      `ReadWriteLakeDatasets: the lake is write-once, so no s3:DeleteObject on ${datasets.join(' or ')}; PutObject also covers the conditional (If-None-Match) writes.`,
      `LakeLease: the one-writer lease at s3://${b}/${LEASE_KEY} (renewed with conditional writes, never deleted).`,
      `StorageProbe: \`spotify-pipeline test\` writes, reads back and deletes one object under ${PROBE_PREFIX}; drop it if the role never runs \`test\`.`,
      `ListLakePrefixes: listing only under these prefixes. S3 answers a read of a missing key 403 rather than 404 without a ListBucket that applies to the request, and a GetObject carries no s3:prefix: the pipeline then lists that one key (allowed here) to tell "missing" from "denied", which is why ${PIPELINE_PREFIX}* is listed too.`,
      'If the bucket uses SSE-KMS with a customer managed key, the role also needs kms:Decrypt (reads) and kms:GenerateDataKey (writes) on that key.',
    );
    if (input.lifecycle) {
      statements.push({
        Sid: 'LakeLifecycle',
        Effect: 'Allow',
        // DeleteBucketLifecycle (when our rules were the only ones) is authorised by PutLifecycleConfiguration.
        Action: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
        Resource: [arn(b)],
      });
      notes.push(
        'LakeLifecycle: `lake lifecycle --apply` reads, merges and writes the bucket lifecycle configuration. Better run once by an administrator than granted to the pipeline.',
      );
    }
    if (input.snowflakeSetup) {
      statements.push({
        Sid: 'SnowpipeBucketNotification',
        Effect: 'Allow',
        Action: ['s3:GetBucketNotification', 's3:PutBucketNotification'],
        Resource: [arn(b)],
      });
      notes.push(
        'SnowpipeBucketNotification: `snowflake setup` merges the Snowpipe queue into the bucket notification configuration. Better run once by an administrator than granted to the pipeline.',
      );
    }
  } else {
    if (input.lifecycle || input.snowflakeSetup)
      notes.push(
        'S3_BUCKET_NAME is not set (a local lake): the lifecycle and bucket-notification permissions have no bucket to apply to and are left out.',
      );
  }

  if (state) {
    statements.push({
      Sid: 'PipelineState',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: [arn(`${state.bucket}/${state.prefix}*`)],
    });
    notes.push(
      `PipelineState: the state at s3://${state.bucket}/${state.prefix} (ledgers, outbox, checkpoints, run history): the pipeline deletes finished outbox entries and compacted log segments there.`,
    );
    if (state.prefix === '')
      notes.push(
        `warning: STATE_URL has no prefix, so the state's permissions (DeleteObject included) cover all of s3://${state.bucket}/${state.bucket === input.bucket ? ', the lake included' : ''}: give the state a prefix of its own, e.g. STATE_URL=s3://${state.bucket}/_pipeline_state/.`,
      );
    else if (
      state.bucket === input.bucket &&
      [...datasets, PIPELINE_PREFIX].some((p) => overlaps(p, state.prefix))
    )
      notes.push(
        `warning: the state prefix ${state.prefix} overlaps a lake prefix (${[...datasets, PIPELINE_PREFIX].join(', ')}): the state's DeleteObject then reaches lake objects, and Snowpipe may read state files. Move the state to a prefix of its own, e.g. _pipeline_state/.`,
      );
  }

  if (input.secretId) {
    const resource = secretArn(input.secretId, input.partition, input.region, input.accountId);
    statements.push({
      Sid: 'SpotifyTokenSecret',
      Effect: 'Allow',
      Action: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      Resource: [resource],
    });
    notes.push(
      'SpotifyTokenSecret: the token store reads the accounts at start and writes a rotated refresh token back as a compare-and-swap: PutSecretValue under a pending label, then UpdateSecretVersionStage moves AWSCURRENT to it only if AWSCURRENT is still on the version it read. If the secret is encrypted with a customer managed KMS key, the role also needs kms:Decrypt and kms:GenerateDataKey on that key.',
    );
    const secretPartition = partitionOfArn(input.secretId);
    if (secretPartition && secretPartition !== input.partition)
      notes.push(
        `warning: SPOTIFY_TOKEN_SECRET_ID is in partition ${secretPartition}, the S3 resources in ${input.partition}: one role cannot be granted both. Set AWS_REGION (or --partition) to the partition the pipeline runs in, and use a secret there.`,
      );
    if (input.secretId.startsWith('arn:') && !COMPLETE_SECRET_ARN.test(input.secretId))
      notes.push(
        "SPOTIFY_TOKEN_SECRET_ID is a partial ARN (without the six random characters Secrets Manager appends): the policy adds -?????? so that it matches the real ARN. If the secret's own name ends in a hyphen and six letters or digits, give the complete ARN instead.",
      );
    if (!input.secretId.startsWith('arn:')) {
      if (!input.region)
        placeholders.push({
          name: REGION_PLACEHOLDER,
          meaning: 'the secret’s region (set AWS_REGION to fill it in)',
        });
      if (!input.accountId)
        placeholders.push({
          name: ACCOUNT_PLACEHOLDER,
          meaning: 'the 12-digit AWS account id that owns the secret (pass --account-id to fill it in)',
        });
      notes.push(
        `The secret ARN ends in -?????? : Secrets Manager appends six random characters to every secret's name; "?" matches exactly those, so no other secret whose name starts with "${input.secretId}-" is covered.`,
      );
    }
  }

  return { policy: { Version: '2012-10-17', Statement: statements }, placeholders, notes };
}

/**
 * The permissions policy of SNOWFLAKE_AWS_ROLE_ARN, the role Snowflake assumes to load the lake: read the
 * dataset prefixes (GetObjectVersion too, for a versioned bucket), and list only them.
 */
export function snowflakeReadPolicy(
  partition: Partition,
  bucket: string,
  datasetPrefixes: readonly string[],
): PolicyDocument {
  const prefixes = [...new Set(datasetPrefixes)];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SnowflakeReadDatasets',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: prefixes.map((p) => s3Arn(partition, `${bucket}/${p}*`)),
      },
      {
        Sid: 'SnowflakeListDatasets',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation'],
        Resource: [s3Arn(partition, bucket)],
        Condition: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      },
    ],
  };
}
