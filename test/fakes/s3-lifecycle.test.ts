import { createHash } from 'node:crypto';
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  ListObjectsV2Command,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, startLifecycleS3, testS3Client, type LifecycleS3 } from './s3-lifecycle.js';

let s3: LifecycleS3;
let client: S3Client;
beforeAll(async () => {
  s3 = await startLifecycleS3(['lake']);
  client = await testS3Client(s3.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

const rule = (
  id: string,
  prefix: string,
  storageClass = 'INTELLIGENT_TIERING',
  days = 30,
): LifecycleRule => ({
  ID: id,
  Status: 'Enabled',
  Filter: { Prefix: prefix },
  Transitions: [{ Days: days, StorageClass: storageClass as 'INTELLIGENT_TIERING' }],
});

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return {
      name: (err as Error).name,
      status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
    };
  }
  throw new Error('expected the request to fail');
};

describe('the lifecycle fake, through the real S3 client', () => {
  it('answers NoSuchLifecycleConfiguration (404) while the bucket has none', async () => {
    expect(
      await errorOf(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' }))),
    ).toEqual({
      name: 'NoSuchLifecycleConfiguration',
      status: 404,
    });
  });

  it('stores a configuration, returns it with the default minimum object size, and a PUT replaces the whole set', async () => {
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lake',
        LifecycleConfiguration: { Rules: [rule('a', 'logs/'), rule('b', 'tmp/', 'STANDARD_IA', 45)] },
      }),
    );
    const got = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' }));
    expect(got.Rules).toEqual([rule('a', 'logs/'), rule('b', 'tmp/', 'STANDARD_IA', 45)]);
    expect(got.TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');

    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lake',
        LifecycleConfiguration: { Rules: [rule('c', 'x/')] },
        TransitionDefaultMinimumObjectSize: 'varies_by_storage_class',
      }),
    );
    const replaced = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' }));
    expect(replaced.Rules!.map((r) => r.ID)).toEqual(['c']);
    expect(replaced.TransitionDefaultMinimumObjectSize).toBe('varies_by_storage_class');
  });

  it('refuses what S3 refuses: STANDARD_IA before 30 days, duplicate IDs, a rule without an action', async () => {
    const put = (rules: LifecycleRule[]) =>
      errorOf(
        client.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: 'lake',
            LifecycleConfiguration: { Rules: rules },
          }),
        ),
      );
    expect(await put([rule('ia', 'a/', 'STANDARD_IA', 29)])).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await put([rule('ia', 'a/', 'ONEZONE_IA', 1)])).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await put([rule('d', 'a/'), rule('d', 'b/')])).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await put([{ ID: 'none', Status: 'Enabled', Filter: { Prefix: 'a/' } }])).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    // ExpiredObjectDeleteMarker "cannot be specified with Days or Date" (API_LifecycleExpiration.html).
    const marker = (expiration: LifecycleRule['Expiration']): LifecycleRule => ({
      ID: 'm',
      Status: 'Enabled',
      Filter: { Prefix: 'a/' },
      Expiration: expiration,
    });
    expect(await put([marker({ ExpiredObjectDeleteMarker: true, Days: 5 })])).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    // Nothing of a refused PUT is kept.
    const still = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' }));
    expect(still.Rules!.map((r) => r.ID)).toEqual(['c']);
    // 30 days is the documented minimum, and allowed.
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lake',
        LifecycleConfiguration: { Rules: [rule('ia', 'a/', 'STANDARD_IA', 30)] },
      }),
    );
  });

  it('needs an integrity header on PUT and checks it against the body', async () => {
    const body =
      '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>r</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>';
    const put = (headers: Record<string, string>) =>
      fetch(`${s3.endpoint}/lake?lifecycle`, { method: 'PUT', body, headers }).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    const missing = await put({});
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>InvalidRequest</Code>');
    const wrong = await put({ 'Content-MD5': createHash('md5').update('other').digest('base64') });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('<Code>BadDigest</Code>');
    const right = await put({ 'Content-MD5': createHash('md5').update(body).digest('base64') });
    expect(right.status).toBe(200);
    const malformed = await fetch(`${s3.endpoint}/lake?lifecycle`, {
      method: 'PUT',
      body: '<LifecycleConfiguration><Rule>',
      headers: { 'Content-MD5': createHash('md5').update('<LifecycleConfiguration><Rule>').digest('base64') },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('<Code>MalformedXML</Code>');
  });

  it('with lagReads, the next GETs after a write still answer the configuration from before (propagation lag)', async () => {
    const ids = async () =>
      (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' }))).Rules!.map(
        (r) => r.ID,
      );
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'lake',
        LifecycleConfiguration: { Rules: [rule('old', 'o/')] },
      }),
    );
    s3.proxy.lagReads = 2;
    try {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: 'lake',
          LifecycleConfiguration: { Rules: [rule('new', 'n/')] },
        }),
      );
      expect(await ids()).toEqual(['old']);
      expect(await ids()).toEqual(['old']);
      expect(await ids()).toEqual(['new']);
    } finally {
      s3.proxy.lagReads = 0;
    }
  });

  it('DeleteBucketLifecycle removes the configuration (204); an unknown bucket is NoSuchBucket', async () => {
    await client.send(new DeleteBucketLifecycleCommand({ Bucket: 'lake' }));
    expect((s3.proxy.requests.at(-1) ?? {}).status).toBe(204);
    expect(
      (await errorOf(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lake' })))).name,
    ).toBe('NoSuchLifecycleConfiguration');
    expect(
      (await errorOf(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'nope' })))).name,
    ).toBe('NoSuchBucket');
  });

  it('passes every other request through to s3rver', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'lake', Key: 'p/x.txt', Body: 'x' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'p/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['p/x.txt']);
  });

  it('its XML parser reads entities, nesting and self-closing elements, and rejects broken documents', () => {
    const root = parseXml('<?xml version="1.0"?><A x="1"><B>a &amp; b &#60;</B><C/><D><E>1</E></D></A>');
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['B', 'a & b <'],
      ['C', ''],
      ['D', ''],
    ]);
    expect(() => parseXml('<A><B></A>')).toThrow();
    expect(() => parseXml('<A></A>trailing')).toThrow();
  });
});
