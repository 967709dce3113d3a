import { describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../src/lake/s3-store.js';

/** An S3 error as the SDK raises it: a name and the HTTP status in $metadata. */
function s3Failure(name: string, status: number) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** A stand-in S3 client: a map of objects, and switches for how the server treats If-None-Match. */
function fakeClient(mode: 'conditional' | 'not-implemented') {
  const objects = new Map<string, Buffer>();
  const calls: string[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const kind = command.constructor.name;
      const key = command.input.Key as string;
      calls.push(`${kind}${command.input.IfNoneMatch ? ' If-None-Match' : ''}`);
      if (kind === 'PutObjectCommand') {
        if (command.input.IfNoneMatch) {
          if (mode === 'not-implemented') throw s3Failure('NotImplemented', 501);
          if (objects.has(key)) throw s3Failure('PreconditionFailed', 412);
        }
        objects.set(key, command.input.Body as Buffer);
        return {};
      }
      if (kind === 'HeadObjectCommand') {
        if (!objects.has(key)) throw s3Failure('NotFound', 404);
        return {};
      }
      throw new Error(`unexpected ${kind}`);
    },
  };
  return { client: client as unknown as S3Client, objects, calls };
}

describe('S3 write-once', () => {
  it('uses If-None-Match and reads 412 as "already there"', async () => {
    const fake = fakeClient('conditional');
    const store = new S3ObjectStore(fake.client, 'b', () => {});
    expect(await store.putIfAbsent('k.json.gz', Buffer.from('a'))).toBe('created');
    expect(await store.putIfAbsent('k.json.gz', Buffer.from('b'))).toBe('exists');
    expect(fake.objects.get('k.json.gz')!.toString()).toBe('a');
    expect(fake.calls).toEqual(['PutObjectCommand If-None-Match', 'PutObjectCommand If-None-Match']);
  });

  it('falls back to checking first on a store without conditional writes, warning once', async () => {
    const fake = fakeClient('not-implemented');
    const warnings: string[] = [];
    const store = new S3ObjectStore(fake.client, 'b', (m) => warnings.push(m));
    expect(await store.putIfAbsent('k.json.gz', Buffer.from('a'))).toBe('created');
    expect(await store.putIfAbsent('k.json.gz', Buffer.from('b'))).toBe('exists');
    expect(await store.putIfAbsent('k2.json.gz', Buffer.from('c'))).toBe('created');
    expect(fake.objects.get('k.json.gz')!.toString()).toBe('a');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('does not implement conditional writes');
    expect(fake.calls.filter((c) => c.includes('If-None-Match'))).toHaveLength(1);
  });
});
