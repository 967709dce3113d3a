import type { PolicyDocument } from '../../src/aws/iam-policy.js';

/**
 * Just enough of IAM's policy evaluation for identity policies made only of Allow statements: a request is
 * allowed when one statement matches its action, its resource (ARN globs: `*` any run of characters, `?` one
 * character) and every condition. StringLike on a key the request does not carry does not match, as IAM
 * documents (a ListBucket without a prefix is not allowed by a statement conditioned on s3:prefix).
 */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function isAllowed(policy: PolicyDocument, request: IamRequest): boolean {
  return policy.Statement.some((s) => {
    if (s.Effect !== 'Allow') return false;
    if (!s.Action.some((a) => glob(a).test(request.action))) return false;
    if (!s.Resource.some((r) => glob(r).test(request.resource))) return false;
    for (const [operator, conditions] of Object.entries(s.Condition ?? {})) {
      if (operator !== 'StringLike') return false;
      for (const [key, patterns] of Object.entries(conditions as Record<string, string[]>)) {
        const value = request.context?.[key];
        if (value === undefined || !patterns.some((p) => glob(p).test(value))) return false;
      }
    }
    return true;
  });
}

/** The IAM action and resource of one S3 REST request, as S3 authorises it. */
export function s3Request(
  r: { kind: string; bucket: string; key: string },
  partition = 'aws',
): IamRequest | undefined {
  const object = `arn:${partition}:s3:::${r.bucket}/${r.key}`;
  switch (r.kind) {
    case 'GET':
    case 'HEAD': // HeadObject is authorised by s3:GetObject
      return { action: 's3:GetObject', resource: object };
    case 'PUT':
      return { action: 's3:PutObject', resource: object };
    case 'DELETE':
      return { action: 's3:DeleteObject', resource: object };
    case 'LIST':
      return {
        action: 's3:ListBucket',
        resource: `arn:${partition}:s3:::${r.bucket}`,
        context: { 's3:prefix': r.key },
      };
    default:
      return undefined;
  }
}
