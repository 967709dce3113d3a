/**
 * Amazon S3's authorization of one REST request against an identity policy, for the S3 double
 * (conditional-s3.ts): the double answers 403 AccessDenied where S3 would, so a permission missing from the
 * policy `iam policy` prints, or a wrong assumption about what S3 checks, fails a test instead of a user's
 * first run. What is modelled, each from AWS's documentation:
 *
 * - The action of each request and its resource: GetObject (also for HEAD) / PutObject / DeleteObject on
 *   `arn:<partition>:s3:::bucket/key`; ListObjectsV2 is s3:ListBucket on `arn:<partition>:s3:::bucket` with
 *   the request's `prefix` as the s3:prefix condition key (absent when the request has none, and "if the key
 *   that you specify in a policy condition is not present in the request context, the values do not match",
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 * - A PutObject or DeleteObject with If-Match also needs s3:GetObject ("To perform a conditional write with
 *   the HTTP If-Match header, you must have the s3:PutObject and s3:GetObject permissions",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html; conditional deletes "require
 *   both s3:DeleteObject and s3:GetObject permissions",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-delete-enforce.html).
 * - A GET or HEAD of a key that does not exist: "If you have the s3:ListBucket permission on the bucket,
 *   Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the s3:ListBucket
 *   permission, Amazon S3 returns an HTTP status code 403" (HeadObject / GetObject API reference,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). A GetObject request carries no
 *   s3:prefix, so a ListBucket grant conditioned on s3:prefix does not apply to it: 403.
 * - Bucket subresources the pipeline uses: `?lifecycle` (GetLifecycleConfiguration; PUT and DELETE are
 *   s3:PutLifecycleConfiguration, API_DeleteBucketLifecycle.html) and `?notification`
 *   (Get/PutBucketNotification). Any other request is refused: the double does not guess.
 *
 * Not modelled: Deny statements, bucket policies, ACLs, KMS (the pipeline's policy is identity-based Allows).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PolicyDocument } from '../../src/aws/iam-policy.js';
import { isAllowed, type IamRequest } from '../aws/iam-eval.js';

export interface S3RestRequest {
  method: string;
  bucket: string;
  /** The object key; '' for a bucket-level request. */
  key: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Refusal {
  /** The permission whose absence made S3 refuse, for the error message and for tests. */
  missing: string;
}

/** The query parameters of ListObjects/ListObjectsV2: any other query key on a bucket GET names a subresource. */
export const LIST_PARAMS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'continuation-token',
  'max-keys',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'marker',
  'x-id',
]);

/** Every permission S3 checks for the request (all must be allowed), or undefined when not modelled. */
export function requiredPermissions(r: S3RestRequest, partition = 'aws'): IamRequest[] | undefined {
  const bucketArn = `arn:${partition}:s3:::${r.bucket}`;
  const objectArn = `${bucketArn}/${r.key}`;
  const ifMatch = r.headers['if-match'] !== undefined;
  if (r.key === '') {
    const sub = [...r.query.keys()].filter((k) => !LIST_PARAMS.has(k));
    if (r.method === 'GET' && sub.length === 0) {
      const prefix = r.query.get('prefix');
      return [
        {
          action: 's3:ListBucket',
          resource: bucketArn,
          ...(prefix !== null ? { context: { 's3:prefix': prefix } } : {}),
        },
      ];
    }
    if (sub.length === 1 && sub[0] === 'lifecycle') {
      const action = r.method === 'GET' ? 's3:GetLifecycleConfiguration' : 's3:PutLifecycleConfiguration';
      return [{ action, resource: bucketArn }];
    }
    if (sub.length === 1 && sub[0] === 'notification') {
      const action = r.method === 'GET' ? 's3:GetBucketNotification' : 's3:PutBucketNotification';
      return [{ action, resource: bucketArn }];
    }
    return undefined;
  }
  if ([...r.query.keys()].some((k) => k !== 'x-id')) return undefined; // versions, ACLs, tagging, uploads...
  switch (r.method) {
    case 'GET':
    case 'HEAD':
      return [{ action: 's3:GetObject', resource: objectArn }];
    case 'PUT':
      if (r.headers['x-amz-copy-source'] !== undefined) return undefined;
      return [
        { action: 's3:PutObject', resource: objectArn },
        ...(ifMatch ? [{ action: 's3:GetObject', resource: objectArn }] : []),
      ];
    case 'DELETE':
      return [
        { action: 's3:DeleteObject', resource: objectArn },
        ...(ifMatch ? [{ action: 's3:GetObject', resource: objectArn }] : []),
      ];
    default:
      return undefined;
  }
}

/**
 * Why S3 would answer this request 403 AccessDenied under `policy`, or undefined when it goes through.
 * `objectExists` is asked only for an allowed GET/HEAD of an object, for the missing-key rule.
 */
export async function policyRefusal(
  policy: PolicyDocument,
  r: S3RestRequest,
  objectExists: () => Promise<boolean>,
  partition = 'aws',
): Promise<Refusal | undefined> {
  const needed = requiredPermissions(r, partition);
  if (!needed) return { missing: `(a ${r.method} request the double does not model)` };
  for (const p of needed) if (!isAllowed(policy, p)) return { missing: `${p.action} on ${p.resource}` };
  if (r.key !== '' && (r.method === 'GET' || r.method === 'HEAD') && !(await objectExists())) {
    // S3's own ListBucket check for a missing key: no request parameter, so no s3:prefix in the context.
    const list = { action: 's3:ListBucket', resource: `arn:${partition}:s3:::${r.bucket}` };
    if (!isAllowed(policy, list))
      return { missing: `${list.action} on ${list.resource} (the key is missing)` };
  }
  return undefined;
}
