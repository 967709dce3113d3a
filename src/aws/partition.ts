/**
 * AWS partitions. Each has its own ARNs (`arn:<partition>:…`), and a role in one cannot be granted resources
 * of another. The regions of each are as the AWS SDK's partitions table (partitions.json in @aws-sdk/core's
 * util-endpoints) lists them. Snowflake runs in three of them, and there the storage integration's
 * STORAGE_PROVIDER and the stage URL scheme depend on the partition (CREATE STORAGE INTEGRATION: `s3` is S3 in
 * public regions outside China, `s3china` China, `s3gov` government regions).
 */
export type Partition =
  'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-eusc' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f';

interface PartitionFacts {
  regions: RegExp;
  /** Where Snowflake runs: its STORAGE_PROVIDER and stage URL scheme there. */
  snowflake?: { provider: string; scheme: string };
}

const PARTITION_TABLE: Record<Partition, PartitionFacts> = {
  aws: { regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, snowflake: { provider: 'S3', scheme: 's3' } },
  'aws-cn': { regions: /^cn-\w+-\d+$/, snowflake: { provider: 'S3CHINA', scheme: 's3china' } },
  'aws-us-gov': { regions: /^us-gov-\w+-\d+$/, snowflake: { provider: 'S3GOV', scheme: 's3gov' } },
  'aws-eusc': { regions: /^eusc-(de)-\w+-\d+$/ },
  'aws-iso': { regions: /^us-iso-\w+-\d+$/ },
  'aws-iso-b': { regions: /^us-isob-\w+-\d+$/ },
  'aws-iso-e': { regions: /^eu-isoe-\w+-\d+$/ },
  'aws-iso-f': { regions: /^us-isof-\w+-\d+$/ },
};
export const PARTITIONS = Object.keys(PARTITION_TABLE) as Partition[];

/** The partition of a region (the commercial `aws` one for a region the table does not know, as the SDK does). */
export function partitionOfRegion(region: string | undefined): Partition {
  // The specific patterns first: `us-gov-west-1` also has the commercial shape.
  const specific = PARTITIONS.filter((p) => p !== 'aws').find(
    (p) => region && PARTITION_TABLE[p].regions.test(region),
  );
  return specific ?? 'aws';
}

/** The partition an ARN names (`arn:<partition>:…`), if it is an ARN. */
export function partitionOfArn(arn: string): string | undefined {
  return /^arn:([^:]+):/.exec(arn)?.[1];
}

/** What SNOWFLAKE_AWS_ROLE_ARN must look like (settings.ts validates with it): a role where Snowflake runs. */
export const ROLE_ARN = /^arn:(aws|aws-us-gov|aws-cn):iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The partition of SNOWFLAKE_AWS_ROLE_ARN; `aws` when there is none (placeholders, static stage credentials). */
export function partitionOf(roleArn: string | undefined): Partition {
  const p = roleArn ? ROLE_ARN.exec(roleArn)?.[1] : undefined;
  return (p as Partition | undefined) ?? 'aws';
}

function snowflakeSide(partition: Partition): { provider: string; scheme: string } {
  return PARTITION_TABLE[partition].snowflake ?? PARTITION_TABLE.aws.snowflake!;
}

/** The storage integration's STORAGE_PROVIDER in the partition. */
export function storageProvider(partition: Partition): string {
  return snowflakeSide(partition).provider;
}

/** `s3://bucket/prefix` with the scheme Snowflake expects for the partition. */
export function stageUrl(partition: Partition, bucket: string, prefix: string): string {
  return `${snowflakeSide(partition).scheme}://${bucket}/${prefix}`;
}

/** The stage URL schemes, for reading file names Snowflake reports with a URL. */
export const STAGE_SCHEMES = PARTITIONS.flatMap((p) => PARTITION_TABLE[p].snowflake?.scheme ?? []);

/** The ARN of an S3 bucket or of objects in it (`bucket/prefix*`). */
export function s3Arn(partition: Partition, resource: string): string {
  return `arn:${partition}:s3:::${resource}`;
}
