/**
 * The conditional-write S3 fake against what Amazon S3 documents, through the real @aws-sdk/client-s3 with
 * the settings the project uses for a custom endpoint (path style, WHEN_REQUIRED checksums). The first test
 * shows why it exists: s3rver alone accepts every conditional write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startConditionalS3, type ConditionalS3 } from './conditional-s3.js';
import { sdkFailure } from '../helpers/sdk-failure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const BUCKET = 'cond';
let s3: ConditionalS3;

function client(endpoint: string, extra: { maxAttempts?: number; requestTimeout?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: extra.maxAttempts ?? 1,
    ...(extra.requestTimeout
      ? { requestHandler: { requestTimeout: extra.requestTimeout, throwOnRequestTimeout: true } }
      : {}),
  });
}

async function body(c: S3Client, key: string): Promise<string> {
  const out = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return out.Body!.transformToString();
}

const put = (c: S3Client, key: string, text: string, cond: { IfNoneMatch?: string; IfMatch?: string } = {}) =>
  c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(text), ...cond }));

beforeAll(async () => {
  s3 = await startConditionalS3([BUCKET]);
});
afterAll(async () => {
  await s3?.close();
});

describe('s3rver alone', () => {
  it('ignores If-None-Match and If-Match: both overwrite (why the proxy exists)', async () => {
    const raw = client(s3.backendEndpoint);
    await put(raw, 'raw/k', 'one');
    await put(raw, 'raw/k', 'two', { IfNoneMatch: '*' });
    expect(await body(raw, 'raw/k')).toBe('two');
    await put(raw, 'raw/k', 'three', { IfMatch: '"not-the-etag"' });
    expect(await body(raw, 'raw/k')).toBe('three');
    await put(raw, 'raw/absent', 'four', { IfMatch: '"not-the-etag"' });
    expect(await body(raw, 'raw/absent')).toBe('four');
  });
});

describe('conditional writes as S3 documents them', () => {
  const c = () => client(s3.endpoint);

  it('If-None-Match: * creates a missing key and answers 412 PreconditionFailed when it exists', async () => {
    const created = await put(c(), 'inm/k', 'first', { IfNoneMatch: '*' });
    expect(created.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const refused = await sdkFailure(put(c(), 'inm/k', 'second', { IfNoneMatch: '*' }));
    expect(refused).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(refused.message).toContain('pre-conditions you specified did not hold');
    expect(await body(c(), 'inm/k')).toBe('first');
  });

  it('If-Match replaces only at the ETag that PutObject, HeadObject and GetObject return', async () => {
    const v1 = (await put(c(), 'im/k', 'v1')).ETag!;
    const head = await c().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'im/k' }));
    const get = await c().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'im/k' }));
    await get.Body!.transformToString();
    expect(head.ETag).toBe(v1);
    expect(get.ETag).toBe(v1);

    const v2 = (await put(c(), 'im/k', 'v2', { IfMatch: v1 })).ETag!;
    expect(v2).not.toBe(v1);
    expect(await body(c(), 'im/k')).toBe('v2');

    const stale = await sdkFailure(put(c(), 'im/k', 'v3', { IfMatch: v1 }));
    expect(stale).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await body(c(), 'im/k')).toBe('v2');

    // A bare (unquoted) ETag is the same entity tag.
    await put(c(), 'im/k', 'v3', { IfMatch: v2.replace(/"/g, '') });
    expect(await body(c(), 'im/k')).toBe('v3');
  });

  it('If-Match on a key with no object: 404 NoSuchKey, and nothing is created', async () => {
    const absent = await sdkFailure(
      put(c(), 'im/absent', 'x', { IfMatch: '"0123456789abcdef0123456789abcdef"' }),
    );
    expect(absent).toMatchObject({ name: 'NoSuchKey', status: 404 });
    const star = await sdkFailure(put(c(), 'im/absent', 'x', { IfMatch: '*' }));
    expect(star).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(
      await sdkFailure(c().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'im/absent' }))),
    ).toMatchObject({
      status: 404,
    });
  });

  it('If-None-Match with an ETag instead of * is not implemented (501)', async () => {
    await put(c(), 'inm/etag', 'a');
    expect(await sdkFailure(put(c(), 'inm/etag', 'b', { IfNoneMatch: '"abc"' }))).toMatchObject({
      name: 'NotImplemented',
      status: 501,
    });
    expect(await body(c(), 'inm/etag')).toBe('a');
  });

  it('DeleteObject with If-Match: 412 on another ETag, 404 with no object, 204 when it holds', async () => {
    const etag = (await put(c(), 'del/k', 'x')).ETag!;
    const wrong = await sdkFailure(
      c().send(
        new DeleteObjectCommand({
          Bucket: BUCKET,
          Key: 'del/k',
          IfMatch: '"ffffffffffffffffffffffffffffffff"',
        }),
      ),
    );
    expect(wrong).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await body(c(), 'del/k')).toBe('x');

    const ok = await c().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/k', IfMatch: etag }));
    expect(ok.$metadata.httpStatusCode).toBe(204);
    expect(await sdkFailure(c().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'del/k' })))).toMatchObject(
      {
        status: 404,
      },
    );

    const gone = await sdkFailure(
      c().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/k', IfMatch: etag })),
    );
    expect(gone).toMatchObject({ name: 'NoSuchKey', status: 404 });
    // Without a condition, deleting a missing key is still a success.
    const plain = await c().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/k' }));
    expect(plain.$metadata.httpStatusCode).toBe(204);
  });

  it('a conditional write meeting another in flight on the same key gets 409 ConditionalRequestConflict', async () => {
    const gate = s3.proxy.hold({ kind: 'PUT', prefix: 'race/held' });
    const first = put(c(), 'race/held', 'first', { IfNoneMatch: '*' });
    await gate.reached;
    const second = await sdkFailure(put(c(), 'race/held', 'second', { IfNoneMatch: '*' }));
    expect(second).toMatchObject({ name: 'ConditionalRequestConflict', status: 409 });
    // An If-Match write is refused the same way while the first is in flight.
    expect(await sdkFailure(put(c(), 'race/held', 'third', { IfMatch: '*' }))).toMatchObject({ status: 409 });
    gate.release();
    const won = await first;
    expect(won.$metadata.httpStatusCode).toBe(200);
    expect(await body(c(), 'race/held')).toBe('first');
    // The loser re-reads and redoes: its If-Match at the winner's ETag now succeeds.
    await put(c(), 'race/held', 'second', { IfMatch: won.ETag! });
    expect(await body(c(), 'race/held')).toBe('second');
  });

  it('two conditional creates racing freely: exactly one wins, the other gets 409 or 412', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `race/free-${round}`;
      const results = await Promise.allSettled([
        put(c(), key, 'a', { IfNoneMatch: '*' }),
        put(c(), key, 'b', { IfNoneMatch: '*' }),
      ]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).toBeGreaterThanOrEqual(0);
      expect(lost).toHaveLength(1);
      const status = (lost[0]!.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode;
      expect([409, 412]).toContain(status);
      expect(await body(c(), key)).toBe(won === 0 ? 'a' : 'b');
    }
  });

  it('an unconditional write waits for the conditional one in flight (writes stay linearizable)', async () => {
    const gate = s3.proxy.hold({ kind: 'PUT', prefix: 'lin/k' });
    const conditional = put(c(), 'lin/k', 'conditional', { IfNoneMatch: '*' });
    await gate.reached;
    const plain = put(c(), 'lin/k', 'plain');
    gate.release();
    await Promise.all([conditional, plain]);
    // Had the plain write landed between the condition's check and its write, the conditional would win.
    expect(await body(c(), 'lin/k')).toBe('plain');
  });

  it('a read while a write of the key is applied gets the whole old or the whole new object', async () => {
    // S3 user guide, "Amazon S3 data consistency model": a read after a write returns the new object or, while
    // the write is not yet complete, the old one, never a mix. s3rver writes the object's file in place.
    const size = 8 * 1024 * 1024;
    const old = 'o'.repeat(size);
    const next = 'n'.repeat(size);
    await put(c(), 'whole/k', old);
    let writing = true;
    const write = put(c(), 'whole/k', next).finally(() => (writing = false));
    const seen = new Set<string>();
    while (writing) {
      const text = await body(c(), 'whole/k');
      seen.add(text === old ? 'old' : text === next ? 'new' : `torn (${text.length} bytes)`);
    }
    await write;
    seen.add((await body(c(), 'whole/k')) === next ? 'new' : 'not the new one');
    expect([...seen].filter((s) => s !== 'old' && s !== 'new')).toEqual([]);
  });
});

describe('test controls', () => {
  const c = () => client(s3.endpoint);

  it('counts requests by kind under a key prefix (LIST counts its prefix)', async () => {
    s3.proxy.resetCounts();
    await put(c(), 'count/state/a', '1');
    await put(c(), 'count/state/b', '2', { IfNoneMatch: '*' });
    await body(c(), 'count/state/a');
    await c().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'count/state/b' }));
    await c().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'count/state/' }));
    await c().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'count/state/a' }));
    await put(c(), 'count/lake/x', '3');

    expect(s3.proxy.counts({ prefix: 'count/state/' })).toEqual({
      GET: 1,
      HEAD: 1,
      PUT: 2,
      DELETE: 1,
      LIST: 1,
      OTHER: 0,
    });
    expect(s3.proxy.count({ kind: 'PUT' })).toBe(3);
    expect(s3.proxy.count({ kind: ['GET', 'LIST'], prefix: 'count/' })).toBe(2);
    expect(s3.proxy.requests.find((r) => r.key === 'count/state/b' && r.kind === 'PUT')).toMatchObject({
      condition: 'If-None-Match',
      status: 200,
    });
  });

  it('answers the next N matching requests with an S3 error; the SDK retries 503 SlowDown', async () => {
    s3.proxy.resetCounts();
    s3.proxy.fail({ kind: 'PUT', prefix: 'fault/retry', times: 2, status: 503 });
    await put(client(s3.endpoint, { maxAttempts: 3 }), 'fault/retry', 'ok');
    expect(s3.proxy.count({ kind: 'PUT', prefix: 'fault/retry' })).toBe(3);
    expect(s3.proxy.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(await body(c(), 'fault/retry')).toBe('ok');

    s3.proxy.fail({ kind: 'GET', prefix: 'fault/', status: 500 });
    expect(await sdkFailure(body(c(), 'fault/retry'))).toMatchObject({ name: 'InternalError', status: 500 });
    // Only matching requests are hit, and only N of them.
    expect(await body(c(), 'fault/retry')).toBe('ok');
  });

  it('a fault after the write landed: the client sees 500, the object is there', async () => {
    s3.proxy.fail({ kind: 'PUT', prefix: 'fault/after', status: 500, when: 'after' });
    expect(await sdkFailure(put(c(), 'fault/after', 'landed', { IfNoneMatch: '*' }))).toMatchObject({
      status: 500,
    });
    expect(await body(c(), 'fault/after')).toBe('landed');
    // A retry of the same create then meets its own object.
    expect(await sdkFailure(put(c(), 'fault/after', 'landed', { IfNoneMatch: '*' }))).toMatchObject({
      status: 412,
    });
  });

  it('hangs a request past the client timeout, and drops a connection', async () => {
    await put(c(), 'fault/hang', 'x');
    s3.proxy.hang({ kind: 'GET', prefix: 'fault/hang' });
    const hung = await sdkFailure(body(client(s3.endpoint, { requestTimeout: 300 }), 'fault/hang'));
    expect(hung.name).toBe('TimeoutError');

    s3.proxy.drop({ kind: 'HEAD', prefix: 'fault/hang' });
    const dropped = await sdkFailure(c().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'fault/hang' })));
    expect(dropped.status).toBeUndefined();
    expect(dropped.message).toMatch(/socket hang up|ECONNRESET/);
    // The rules are spent: the object answers again.
    expect(await body(c(), 'fault/hang')).toBe('x');
  });
});
