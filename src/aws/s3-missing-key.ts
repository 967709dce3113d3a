import type { S3Client } from '@aws-sdk/client-s3';
import { sdk } from './s3-client.js';

/**
 * Amazon S3 answers a GET or HEAD of a key that does not exist with 404 only when the caller also has
 * s3:ListBucket for the request; otherwise with 403 AccessDenied ("If you don't have the s3:ListBucket
 * permission, Amazon S3 returns an HTTP status code 403", GetObject / HeadObject API reference,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). The policy `iam policy` prints grants
 * ListBucket only under an s3:prefix condition (least privilege on a shared bucket), and a GetObject request
 * carries no s3:prefix, so under that policy every first read of a key that does not exist yet (the state
 * identity, the lease, a checkpoint) is a 403.
 *
 * Such a 403 is settled with the one request that policy does allow: ListObjectsV2 with Prefix = the key (its
 * s3:prefix is the key, inside a granted prefix). Delimiter '/' folds everything below the key into common
 * prefixes, so only the key and its few siblings that extend its name (`state.json.bak`) are listed. On AWS
 * the key itself would come first (keys are listed in UTF-8 binary order), but S3-compatible stores do not all
 * sort, so the whole first page is checked rather than MaxKeys 1. The key listed: the 403 was a real refusal
 * (no GetObject, a KMS key...) and stands; so does a page that is truncated without it.
 */
export async function isMissingKey(client: S3Client, bucket: string, key: string): Promise<boolean> {
  const { ListObjectsV2Command } = await sdk();
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, Delimiter: '/' }));
    const listed = (out.Contents ?? []).some((o) => o.Key === key);
    return !listed && !out.IsTruncated;
  } catch {
    // The listing is refused too: nothing settles the 403, which the caller reports as it came.
    return false;
  }
}

/** A 403 (AccessDenied / Forbidden on HEAD, which has no body) from S3. */
export function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 403 || e?.name === 'AccessDenied' || e?.name === 'Forbidden';
}
