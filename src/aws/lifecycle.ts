import type { LifecycleRule, S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { sleep } from '../net/retry.js';
import { partitionOfRegion, s3Arn } from './partition.js';
import { isNotImplemented, nameOf, s3Error, sdk, statusOf } from './s3-client.js';

/**
 * `lake lifecycle`: the bucket's lifecycle configuration read, written and confirmed. What the rules are, and
 * how ours merge with the bucket's others, is lifecycle-rules.ts (no S3 there), re-exported here so that a
 * command has one module to load.
 */
export * from './lifecycle-rules.js';

export interface BucketLifecycle {
  rules: LifecycleRule[];
  /** As read: written back unchanged (a PUT without it would reset it to all_storage_classes_128K). */
  minimumObjectSize?: string;
}

async function lifecycleError(
  client: S3Client,
  bucket: string,
  action: string,
  err: unknown,
): Promise<PipelineError> {
  const name = nameOf(err);
  const status = statusOf(err);
  if (name === 'AccessDenied' || status === 403) {
    // The ARN is in the bucket's partition (GovCloud, China): the one the client's region is in.
    const region = await client.config.region().catch(() => undefined);
    return new PipelineError(
      `S3 ${action} of s3://${bucket}'s lifecycle configuration was denied: it needs s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration on ${s3Arn(partitionOfRegion(region), bucket)} (\`spotify-pipeline iam policy --lifecycle\` prints them), or run it once with administrator credentials.`,
      1,
      { cause: err },
    );
  }
  if (isNotImplemented(err))
    return new PipelineError(
      `The storage at s3://${bucket} does not implement bucket lifecycle configuration (an S3-compatible store?): set its lifecycle with the store's own tools.`,
      1,
      { cause: err },
    );
  return s3Error(bucket, `${action} of the lifecycle configuration`, err);
}

export async function readLifecycle(client: S3Client, bucket: string): Promise<BucketLifecycle> {
  const { GetBucketLifecycleConfigurationCommand } = await sdk();
  try {
    const out = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return { rules: out.Rules ?? [], minimumObjectSize: out.TransitionDefaultMinimumObjectSize };
  } catch (err) {
    if (nameOf(err) === 'NoSuchLifecycleConfiguration') return { rules: [] };
    throw await lifecycleError(client, bucket, 'read', err);
  }
}

/** Writes the whole set; an empty set deletes the configuration (S3 refuses a configuration without rules). */
export async function writeLifecycle(
  client: S3Client,
  bucket: string,
  rules: LifecycleRule[],
  minimumObjectSize: string | undefined,
): Promise<void> {
  const { PutBucketLifecycleConfigurationCommand, DeleteBucketLifecycleCommand } = await sdk();
  try {
    if (rules.length === 0) await client.send(new DeleteBucketLifecycleCommand({ Bucket: bucket }));
    else
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: rules },
          ...(minimumObjectSize
            ? { TransitionDefaultMinimumObjectSize: minimumObjectSize as 'all_storage_classes_128K' }
            : {}),
        }),
      );
  } catch (err) {
    throw await lifecycleError(client, bucket, 'write', err);
  }
}

/**
 * Reads the configuration back until `written` holds, or gives up quietly: S3 documents "some lag before a
 * new or updated Lifecycle configuration is fully propagated ... Expect a delay of a few minutes"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-set-lifecycle-configuration-intro.html), so a
 * read-back that does not show the write yet is not proof of a concurrent edit. Resolves true when it held,
 * false when it still did not after `waitsMs` (the caller warns; it does not fail a correct write).
 */
export async function confirmWritten(
  read: () => Promise<BucketLifecycle>,
  written: (rules: readonly LifecycleRule[]) => boolean,
  waitsMs: readonly number[] = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000, 60_000],
  wait: (ms: number) => Promise<void> = sleep,
): Promise<boolean> {
  if (written((await read()).rules)) return true;
  for (const ms of waitsMs) {
    await wait(ms);
    if (written((await read()).rules)) return true;
  }
  return false;
}
