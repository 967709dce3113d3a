/**
 * AWS partitions, taken from SNOWFLAKE_AWS_ROLE_ARN (`arn:<partition>:iam::…`): ARNs in the printed IAM policies,
 * the storage integration's STORAGE_PROVIDER and the stage URL scheme all depend on it (CREATE STORAGE
 * INTEGRATION: `s3` is S3 in public regions outside China, `s3china` China, `s3gov` government regions).
 */
export type AwsPartition = 'aws' | 'aws-us-gov' | 'aws-cn';

const PARTITIONS: Record<AwsPartition, { storageProvider: string; scheme: string }> = {
  aws: { storageProvider: 'S3', scheme: 's3' },
  'aws-us-gov': { storageProvider: 'S3GOV', scheme: 's3gov' },
  'aws-cn': { storageProvider: 'S3CHINA', scheme: 's3china' },
};

/** What SNOWFLAKE_AWS_ROLE_ARN must look like (settings.ts validates with it). */
export const ROLE_ARN = /^arn:(aws|aws-us-gov|aws-cn):iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The partition of a role ARN; `aws` when there is none (placeholders, static stage credentials). */
export function partitionOf(roleArn: string | undefined): AwsPartition {
  const p = roleArn ? ROLE_ARN.exec(roleArn)?.[1] : undefined;
  return (p as AwsPartition | undefined) ?? 'aws';
}

export function storageProvider(partition: AwsPartition): string {
  return PARTITIONS[partition].storageProvider;
}

/** `s3://bucket/prefix` with the scheme Snowflake expects for the partition. */
export function stageUrl(partition: AwsPartition, bucket: string, prefix: string): string {
  return `${PARTITIONS[partition].scheme}://${bucket}/${prefix}`;
}

/** The stage URL schemes, for reading file names Snowflake reports with a URL. */
export const STAGE_SCHEMES = Object.values(PARTITIONS).map((p) => p.scheme);

export function s3Arn(partition: AwsPartition, resource: string): string {
  return `arn:${partition}:s3:::${resource}`;
}
