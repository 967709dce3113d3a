/**
 * The S3 double's authorization (s3-policy.ts, switched on with `proxy.enforce(policy)`) against what AWS
 * documents, through the real @aws-sdk/client-s3, with the policy `iam policy` builds. The pages each case
 * models are cited in s3-policy.ts; the one that matters most for the pipeline: "If you don't have the
 * s3:ListBucket permission, Amazon S3 returns an HTTP status code 403" for a key that does not exist
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { buildIamPolicy, type PolicyDocument } from '../../src/aws/iam-policy.js';
import { lakeDatasetPrefixes } from '../../src/lake/layout.js';
import { S3StateStore } from '../../src/state/s3-state-store.js';
import { startConditionalS3, type ConditionalS3 } from './conditional-s3.js';
import { sdkFailure } from '../helpers/sdk-failure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const BUCKET = 'lake';
let s3: ConditionalS3;
let c: S3Client;

const generated = buildIamPolicy({
  bucket: BUCKET,
  datasetPrefixes: lakeDatasetPrefixes('spotify_listening_history/'),
  state: { kind: 's3', bucket: BUCKET, prefix: '_pipeline_state/' },
  partition: 'aws',
}).policy;

/** The generated policy plus an unconditional ListBucket on the bucket. */
const withListBucket: PolicyDocument = {
  ...generated,
  Statement: [
    ...generated.Statement,
    { Sid: 'ListAll', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${BUCKET}`] },
  ],
};

beforeAll(async () => {
  s3 = await startConditionalS3([BUCKET]);
  c = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    maxAttempts: 1,
  });
  await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: '_pipeline/there.json', Body: '{}' }));
});
afterEach(() => s3.proxy.enforce(undefined));
afterAll(async () => {
  c?.destroy();
  await s3?.close();
});

const get = (key: string) => c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

describe('a missing key: 404 only when an s3:ListBucket applies to the request', () => {
  it('no policy (the double as before): 404 NoSuchKey', async () => {
    expect(await sdkFailure(get('_pipeline/nope.json'))).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });

  it('the generated policy (ListBucket only under s3:prefix): GET and HEAD of a missing key are 403', async () => {
    s3.proxy.enforce(generated);
    expect(await sdkFailure(get('_pipeline/nope.json'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    const head = await sdkFailure(
      c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: '_pipeline/nope.json' })),
    );
    expect(head.status).toBe(403);
    // The object that exists is read as before.
    const there = await get('_pipeline/there.json');
    expect(await there.Body!.transformToString()).toBe('{}');
  });

  it('with an unconditional ListBucket: 404 NoSuchKey again', async () => {
    s3.proxy.enforce(withListBucket);
    expect(await sdkFailure(get('_pipeline/nope.json'))).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });
});

describe('actions, resources and the s3:prefix condition', () => {
  it('ListObjectsV2 is allowed only with a Prefix the condition matches (none at all does not match)', async () => {
    s3.proxy.enforce(generated);
    const listed = await c.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: '_pipeline/there.json', MaxKeys: 1 }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['_pipeline/there.json']);
    for (const Prefix of [undefined, '', 'elsewhere/'])
      expect(await sdkFailure(c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix })))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
  });

  it('write-once datasets: PutObject yes, DeleteObject no; nothing outside the granted prefixes', async () => {
    s3.proxy.enforce(generated);
    const key = 'spotify_listening_history/2024/01/01/x.json.gz';
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', IfNoneMatch: '*' }));
    expect(await sdkFailure(c.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key })))).toMatchObject({
      status: 403,
    });
    expect(
      await sdkFailure(c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other/x', Body: 'x' }))),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('a PutObject with If-Match also needs s3:GetObject (the conditional-writes guide)', async () => {
    const putOnly: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Put', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${BUCKET}/w/*`] },
      ],
    };
    s3.proxy.enforce(undefined);
    const first = await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'w/k', Body: '1' }));
    s3.proxy.enforce(putOnly);
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'w/k', Body: '2' }));
    const conditional = c.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'w/k', Body: '3', IfMatch: first.ETag }),
    );
    expect(await sdkFailure(conditional)).toMatchObject({ name: 'AccessDenied', status: 403 });
  });
});

describe('the state store settles a 403 on a missing key with the listing the policy allows', () => {
  it('reads a missing key as absent under the generated policy, with one ListObjectsV2 of that key', async () => {
    s3.proxy.enforce(generated);
    s3.proxy.resetCounts();
    const store = new S3StateStore(c, BUCKET, '_pipeline_state/');
    expect(await store.read('state.json')).toBeUndefined();
    expect(s3.proxy.requests.map((r) => `${r.kind} ${r.key} ${r.status}`)).toEqual([
      'GET _pipeline_state/state.json 403',
      'LIST _pipeline_state/state.json 200',
    ]);
    // A key that only shares the prefix does not count as the key.
    await store.put('state.json.bak', '{}');
    expect(await store.read('state.json')).toBeUndefined();
    await store.put('state.json', '{"a":1}');
    expect((await store.read('state.json'))?.body.toString()).toBe('{"a":1}');
  });

  it('a 403 on a key that exists stands (with the fix), and so does one the listing cannot settle', async () => {
    const listOnly: PolicyDocument = {
      Version: '2012-10-17',
      Statement: generated.Statement.filter((s) => s.Action.includes('s3:ListBucket')),
    };
    s3.proxy.enforce(listOnly);
    const store = new S3StateStore(c, BUCKET, '_pipeline/');
    await expect(store.read('there.json')).rejects.toThrow(/AccessDenied 403.*iam policy/);
    const outside = new S3StateStore(c, BUCKET, 'nowhere/');
    await expect(outside.read('state.json')).rejects.toThrow(/AccessDenied 403/);
  });
});
