import type { S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import type { StorageSettings } from '../config.js';
import { withRetries, type RetryPolicy } from '../net/retry.js';

/**
 * The S3 client of every part of the pipeline (lake, state, lease, lifecycle, bucket notification) and the
 * reading of its errors, in one place.
 */

/** The AWS SDK is heavy: it is imported only when an S3 lake is actually used. */
export async function sdk() {
  return import('@aws-sdk/client-s3');
}

/** The lake client's per-attempt request timeout (docs/architecture.md: the lease argument relies on it). */
export const LAKE_REQUEST_TIMEOUT_MS = 60_000;
/** The state and lease clients' per-attempt request timeout: their objects are small. */
export const STATE_REQUEST_TIMEOUT_MS = 15_000;

export async function createS3Client(
  storage: Pick<StorageSettings, 'region' | 'endpointUrl'> & Partial<StorageSettings>,
  options: { requestTimeoutMs?: number } = {},
): Promise<S3Client> {
  // The SDK warns on Node 20 that its releases from 2027 need Node 22. That is for us, the maintainers (the lock
  // pins a release that supports Node 20; see the README), not for a user reading a collection's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client } = await sdk();
  return new S3Client({
    region: storage.region ?? (storage.endpointUrl ? 'us-east-1' : undefined),
    ...(storage.endpointUrl
      ? {
          endpoint: storage.endpointUrl,
          forcePathStyle: true,
          // S3-compatible servers often break on the SDK's default CRC32 trailers (docs/configuration.md, S3_ENDPOINT_URL).
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    maxAttempts: s3MaxAttempts(),
    // A request that hangs (a stalled connection) fails and is retried instead of stopping the run for good.
    ...(options.requestTimeoutMs ? { requestHandler: requestTimeouts(options.requestTimeoutMs) } : {}),
  });
}

/**
 * The SDK's attempts per request (its standard retry mode, with backoff). `SPOTIFY_PIPELINE_TEST_S3_MAX_ATTEMPTS`
 * lowers them for the test suite's outage scenarios only, which would otherwise spend their time in the SDK's
 * backoff (docs/development.md); it is not a user setting.
 */
function s3MaxAttempts(): number {
  const n = Number(process.env.SPOTIFY_PIPELINE_TEST_S3_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : 5;
}

/**
 * The per-attempt bounds: a hung request fails after `requestTimeout`. The SDK's HTTP handler only logs a
 * warning when a request exceeds it unless `throwOnRequestTimeout` is set: without it a request the server never
 * answers hangs the run for good (a test hangs the lake to check). The lease argument in docs/exactly-once.md
 * relies on this bound. `SPOTIFY_PIPELINE_TEST_S3_TIMEOUT_MS` shortens it for the test suite's hanging-lake
 * scenarios only (docs/development.md); it is not a user setting.
 */
function requestTimeouts(requestTimeoutMs: number): {
  requestTimeout: number;
  connectionTimeout: number;
  throwOnRequestTimeout: true;
} {
  const override = Number(process.env.SPOTIFY_PIPELINE_TEST_S3_TIMEOUT_MS);
  const requestTimeout = Number.isInteger(override) && override > 0 ? override : requestTimeoutMs;
  return { requestTimeout, connectionTimeout: Math.min(5_000, requestTimeout), throwOnRequestTimeout: true };
}

/**
 * One client per endpoint, region and timeout for the process. The state and lake-side stores are opened for
 * every collection (each writer session), and each S3Client brings its own HTTP agent whose keep-alive sockets
 * outlive the session: run-continuous held up to 100 extra sockets and their buffers until the GC reached the
 * clients. A shared client reuses one pool; the SDK client is stateless between requests, so sharing is safe.
 */
const shared = new Map<string, Promise<S3Client>>();
export function sharedS3Client(
  storage: Pick<StorageSettings, 'region' | 'endpointUrl'>,
  options: { requestTimeoutMs?: number } = {},
): Promise<S3Client> {
  const key = JSON.stringify([
    storage.region ?? null,
    storage.endpointUrl ?? null,
    options.requestTimeoutMs ?? null,
  ]);
  let client = shared.get(key);
  if (!client) {
    client = createS3Client({ region: storage.region, endpointUrl: storage.endpointUrl }, options);
    // A failed start (the SDK not importable) is not kept: the next call tries again.
    client.catch(() => shared.delete(key));
    shared.set(key, client);
  }
  return client;
}

export function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
export function nameOf(err: unknown): string | undefined {
  return (err as { name?: string; Code?: string })?.name ?? (err as { Code?: string })?.Code;
}

/** Turns an SDK error into a message that names the problem and the fix. */
export function s3Error(bucket: string, action: string, err: unknown): PipelineError {
  const name = nameOf(err) ?? 'Error';
  const status = statusOf(err);
  const detail = (err as Error)?.message ?? String(err);
  const unreachable = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i.test(detail + name);
  let fix: string;
  if (name === 'NoSuchBucket' || (status === 404 && action.startsWith('list'))) {
    fix = `the bucket "${bucket}" does not exist: create it, or fix S3_BUCKET_NAME (and S3_ENDPOINT_URL / AWS_REGION).`;
  } else if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    fix = `access denied: give these credentials the policy \`spotify-pipeline iam policy\` prints for these settings (with kms:Decrypt and kms:GenerateDataKey on the bucket's KMS key if it uses SSE-KMS).`;
  } else if (name === 'CredentialsProviderError' || /credential/i.test(detail)) {
    fix =
      'no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an IAM role is attached.';
  } else if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    fix = `the bucket is in another region: set AWS_REGION to the bucket's region.`;
  } else if (unreachable) {
    fix = 'the storage endpoint cannot be reached: check S3_ENDPOINT_URL / the network, then run again.';
  } else {
    fix = 'check the bucket settings, then run again.';
  }
  return new PipelineError(
    `S3 ${action} in s3://${bucket} failed (${name}${status ? ` ${status}` : ''}): ${fix}`,
    1,
    // The SDK has already retried these (maxAttempts): a later run may find the store back.
    { cause: err, transient: unreachable || (status ?? 0) >= 500 },
  );
}

/** Someone else's write won: 412 PreconditionFailed, or 409 ConditionalRequestConflict for a race. */
export function isConflict(err: unknown): boolean {
  return isPreconditionFailed(err) || isConditionalRequestConflict(err);
}

export function isPreconditionFailed(err: unknown): boolean {
  return statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed';
}

/** 409: another conditional write of the key is in progress; AWS says to retry. */
export function isConditionalRequestConflict(err: unknown): boolean {
  return statusOf(err) === 409 || nameOf(err) === 'ConditionalRequestConflict';
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404 || nameOf(err) === 'NoSuchKey' || nameOf(err) === 'NotFound';
}

/** The server does not implement the request (501: conditional writes on some S3-compatible stores). */
export function isNotImplemented(err: unknown): boolean {
  return statusOf(err) === 501 || nameOf(err) === 'NotImplemented';
}

/** Two writes of one key at once: short waits spread apart, five more tries, then the 409 stands. */
export const CONDITIONAL_CONFLICT_RETRY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 50,
  maxDelayMs: 50 * 2 ** 5,
  jitter: 'half',
};

/**
 * A conditional write retried while S3 answers 409 ConditionalRequestConflict (another write of the key, such
 * as our own SDK retry overlapping its first attempt, is in progress); once that one lands ours is a 412.
 */
export function retryWhileConflicting<T>(write: () => Promise<T>): Promise<T> {
  return withRetries(write, {
    policy: CONDITIONAL_CONFLICT_RETRY,
    isTransient: isConditionalRequestConflict,
  });
}
