import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageSettings } from '../config.js';
import {
  createS3Client,
  isNotFound,
  isNotImplemented,
  isPreconditionFailed,
  LAKE_REQUEST_TIMEOUT_MS,
  retryWhileConflicting,
  s3Error,
  sdk,
} from '../aws/s3-client.js';
import type { ObjectStore, StoredObject } from './object-store.js';

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
      if (this.conditionalWrites) {
        try {
          await retryWhileConflicting(() => put(true));
          return 'created';
        } catch (err) {
          if (!isNotImplemented(err)) throw err;
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
      if (isPreconditionFailed(err)) return 'exists';
      throw s3Error(this.bucket, `write ${key}`, err);
    }
  }

  private async exists(key: string): Promise<boolean> {
    const { HeadObjectCommand } = await sdk();
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
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
