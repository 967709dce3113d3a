import type { S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import type { StorageSettings } from '../config.js';
import type { ObjectStore, StoredObject } from './object-store.js';

/** The AWS SDK is heavy: it is imported only when an S3 lake is actually used. */
async function sdk() {
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

/** The lake in an S3 bucket (or an S3-compatible store). Credentials come from the default provider chain. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  /** False once the server has said it does not implement conditional writes (some S3-compatible stores). */
  private conditionalWrites = true;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
  ) {
    this.location = `s3://${bucket}`;
  }

  static async open(storage: StorageSettings): Promise<S3ObjectStore> {
    if (!storage.bucket) throw new Error('S3ObjectStore needs a bucket');
    // Sized for the largest object (an import's day file): a stalled PUT fails and is retried instead of
    // hanging for as long as TCP takes to notice (the SDK's default is no timeout at all).
    return new S3ObjectStore(
      await createS3Client(storage, { requestTimeoutMs: LAKE_REQUEST_TIMEOUT_MS }),
      storage.bucket,
    );
  }

  async putIfAbsent(key: string, body: Buffer): Promise<'created' | 'exists'> {
    const { PutObjectCommand } = await sdk();
    const put = (conditional: boolean) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          // The object IS a .gz file (Snowpipe decompresses it): no Content-Encoding, or HTTP clients would inflate it.
          ContentType: key.endsWith('.gz') ? 'application/gzip' : 'application/octet-stream',
          // Write-once: S3 refuses the write with 412 when the key exists (a PUT is atomic, never partial).
          ...(conditional ? { IfNoneMatch: '*' } : {}),
        }),
      );
    try {
      for (let attempt = 0; this.conditionalWrites; attempt++) {
        try {
          await put(true);
          return 'created';
        } catch (err) {
          // 409 ConditionalRequestConflict: another write of this key (our own SDK retry overlapping its
          // first attempt) is in progress; AWS says to retry. Once it lands, ours is a 412, i.e. 'exists'.
          if ((statusOf(err) === 409 || nameOf(err) === 'ConditionalRequestConflict') && attempt < 5) {
            await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * (0.5 + Math.random())));
            continue;
          }
          if (statusOf(err) !== 501 && nameOf(err) !== 'NotImplemented') throw err;
          this.conditionalWrites = false;
          this.warn(
            `s3://${this.bucket} does not implement conditional writes (If-None-Match): checking for the key before each write instead. Lake names are derived from content, so a key that exists already holds the same bytes.`,
          );
        }
      }
      if (await this.exists(key)) return 'exists';
      await put(false);
      return 'created';
    } catch (err) {
      if (statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed') return 'exists';
      throw s3Error(this.bucket, `write ${key}`, err);
    }
  }

  private async exists(key: string): Promise<boolean> {
    const { HeadObjectCommand } = await sdk();
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (statusOf(err) === 404 || nameOf(err) === 'NotFound') return false;
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    const { GetObjectCommand } = await sdk();
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = await out.Body!.transformToByteArray();
      return Buffer.from(bytes);
    } catch (err) {
      throw s3Error(this.bucket, `read ${key}`, err);
    }
  }

  async delete(key: string): Promise<void> {
    const { DeleteObjectCommand } = await sdk();
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw s3Error(this.bucket, `delete ${key}`, err);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const { paginateListObjectsV2 } = await sdk();
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const obj of page.Contents ?? []) {
          if (obj.Key) yield { key: obj.Key, size: obj.Size ?? 0, lastModified: obj.LastModified };
        }
      }
    } catch (err) {
      throw s3Error(this.bucket, `list ${prefix}`, err);
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
function nameOf(err: unknown): string | undefined {
  return (err as { name?: string; Code?: string })?.name ?? (err as { Code?: string })?.Code;
}

/** Turns an SDK error into a message that names the problem and the fix. */
export function s3Error(bucket: string, action: string, err: unknown): PipelineError {
  const name = nameOf(err) ?? 'Error';
  const status = statusOf(err);
  const detail = (err as Error)?.message ?? String(err);
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
  } else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i.test(detail + name)) {
    fix = 'the storage endpoint cannot be reached: check S3_ENDPOINT_URL / the network, then run again.';
  } else {
    fix = 'check the bucket settings, then run again.';
  }
  return new PipelineError(
    `S3 ${action} in s3://${bucket} failed (${name}${status ? ` ${status}` : ''}): ${fix}`,
    1,
    {
      cause: err,
    },
  );
}
