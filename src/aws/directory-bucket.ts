/**
 * S3 directory buckets (S3 Express One Zone, names `<base>--<zone-id>--x-s3`) are not supported. Their
 * requests go to a Zonal endpoint that takes no path-style requests, and their permissions are granted
 * through "the CreateSession API operation for session-based authorization ... the s3express:CreateSession
 * permission" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html) on s3express ARNs,
 * not the s3:* actions `iam policy` prints; `lake lifecycle`'s rules and the tests' S3 doubles model general
 * purpose buckets only. Refused at configuration time rather than failing on the first request.
 */
export function isDirectoryBucket(name: string): boolean {
  return name.endsWith('--x-s3');
}

export const DIRECTORY_BUCKET_MESSAGE =
  'is an S3 directory bucket (a name ending in --x-s3, S3 Express One Zone), which the pipeline does not support: use a general purpose bucket';
