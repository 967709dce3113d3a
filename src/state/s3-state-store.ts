import type { S3Client } from '@aws-sdk/client-s3';
import { PipelineError } from '../errors.js';
import { isAccessDenied, isMissingKey } from '../aws/s3-missing-key.js';
import {
  isConflict,
  isNotFound,
  isNotImplemented,
  isPreconditionFailed,
  retryWhileConflicting,
  s3Error,
  sdk,
} from '../aws/s3-client.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { StateConflictError, type StateObject, type StateStore } from './state-store.js';

/**
 * The state under an S3 prefix (STATE_URL=s3://bucket/prefix/). Conditional writes make it safe with no local
 * disk: create is `If-None-Match: *`, replace is `If-Match: <ETag>`; a 412 or 409 is reported as a
 * StateConflictError for the caller to re-read and redo. A server that does not implement them (501) is
 * refused: without them two writers could silently overwrite each other's state.
 */
export class S3StateStore implements StateStore {
  readonly kind = 's3' as const;
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
    /** How messages name this store: the state's, or the lake's (its lease). */
    private readonly label = 'State store (S3)',
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  private k(key: string): string {
    return `${this.prefix}${key}`;
  }

  async read(key: string): Promise<StateObject | undefined> {
    const { GetObjectCommand } = await sdk();
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      return { body, version: out.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // Without an s3:ListBucket that applies, S3 answers a missing key 403 (see s3-missing-key.ts).
      if (isAccessDenied(err) && (await isMissingKey(this.client, this.bucket, this.k(key))))
        return undefined;
      throw this.error(`read ${this.k(key)}`, err);
    }
  }

  async create(key: string, body: Buffer | string): Promise<string | undefined> {
    try {
      return await retryWhileConflicting(() => this.putObject(key, body, { IfNoneMatch: '*' }));
    } catch (err) {
      if (isPreconditionFailed(err)) return undefined;
      throw this.error(`create ${this.k(key)}`, err);
    }
  }

  async replace(key: string, body: Buffer | string, ifVersion: string): Promise<string> {
    try {
      return await this.putObject(key, body, { IfMatch: ifVersion });
    } catch (err) {
      // 404: the object is gone (S3 answers If-Match on a missing key so): someone else deleted it.
      if (isConflict(err) || isNotFound(err)) throw new StateConflictError(key);
      throw this.error(`replace ${this.k(key)}`, err);
    }
  }

  async put(key: string, body: Buffer | string): Promise<string> {
    try {
      return await this.putObject(key, body, {});
    } catch (err) {
      throw this.error(`write ${this.k(key)}`, err);
    }
  }

  async putMany(entries: readonly { key: string; body: Buffer | string }[]): Promise<void> {
    await forEachConcurrently(entries, 8, async (e) => {
      await this.put(e.key, e.body);
    });
  }

  async list(prefix: string): Promise<string[]> {
    const { paginateListObjectsV2 } = await sdk();
    const out: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: this.k(prefix) },
      )) {
        for (const obj of page.Contents ?? []) {
          const key = obj.Key?.slice(this.prefix.length);
          if (key && !key.split('/').some((p) => p.startsWith('.'))) out.push(key);
        }
      }
    } catch (err) {
      throw this.error(`list ${this.k(prefix)}`, err);
    }
    return out.sort();
  }

  async delete(key: string, ifVersion?: string): Promise<void> {
    const { DeleteObjectCommand } = await sdk();
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: this.k(key),
          ...(ifVersion !== undefined ? { IfMatch: ifVersion } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      if (ifVersion !== undefined && isConflict(err)) throw new StateConflictError(key);
      throw this.error(`delete ${this.k(key)}`, err);
    }
  }

  private async putObject(
    key: string,
    body: Buffer | string,
    condition: { IfNoneMatch?: string; IfMatch?: string },
  ): Promise<string> {
    const { PutObjectCommand } = await sdk();
    const out = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.k(key),
        Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
        ContentType: 'application/octet-stream',
        ...condition,
      }),
    );
    return out.ETag ?? '';
  }

  private error(action: string, err: unknown): PipelineError {
    if (isNotImplemented(err)) {
      return new PipelineError(
        `The state store s3://${this.bucket} does not implement conditional writes (If-None-Match / If-Match), which the pipeline's state needs so that two writers can never overwrite each other: use Amazon S3 or a store that implements them, or keep the state in a local folder (unset STATE_URL).`,
        1,
        { cause: err },
      );
    }
    const e = s3Error(this.bucket, action, err);
    return new PipelineError(e.message.replace(/^S3 /, `${this.label} `), 1, {
      cause: err,
      transient: e.transient,
    });
  }
}
