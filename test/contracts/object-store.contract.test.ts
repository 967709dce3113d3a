import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import { createS3Client } from '../../src/aws/s3-client.js';
import { S3ObjectStore } from '../../src/lake/s3-store.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { tempDir } from '../helpers/cli.js';

/**
 * What every ObjectStore (the lake) must do (src/lake/object-store.ts), one test body run against each
 * implementation: a folder, and S3 through the conditional-write double.
 */
let s3: ConditionalS3;
const clients: { destroy(): void }[] = [];
beforeAll(async () => {
  s3 = await startConditionalS3(['lake']);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await s3?.close();
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

let n = 0;
const IMPLEMENTATIONS: [string, () => Promise<{ store: ObjectStore; prefix: string }>][] = [
  ['LocalObjectStore', async () => ({ store: new LocalObjectStore(await tempDir('lake-')), prefix: '' })],
  [
    'S3ObjectStore',
    async () => {
      const client = await createS3Client(
        { endpointUrl: s3.endpoint, region: 'us-east-1' },
        { requestTimeoutMs: 3000 },
      );
      clients.push(client);
      return { store: new S3ObjectStore(client, 'lake', () => {}), prefix: `contract-${++n}/` };
    },
  ],
];

async function listed(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

describe.each(IMPLEMENTATIONS)('ObjectStore contract: %s', (_, open) => {
  it('writes a key once: a second write is "exists" and never replaces the bytes', async () => {
    const { store, prefix } = await open();
    const key = `${prefix}d/2024/01/15/x.json.gz`;
    expect(await store.putIfAbsent(key, Buffer.from('first'))).toBe('created');
    expect(await store.putIfAbsent(key, Buffer.from('second'))).toBe('exists');
    expect((await store.get(key)).toString()).toBe('first');
  });

  it('of writes of one key racing, at most one creates it, and no write replaces another', async () => {
    const { store, prefix } = await open();
    const key = `${prefix}d/2024/01/16/race.json.gz`;
    const bodies = ['a', 'b', 'c'];
    const outcomes = await Promise.allSettled(bodies.map((x) => store.putIfAbsent(key, Buffer.from(x))));
    const created = outcomes.flatMap((o, i) =>
      o.status === 'fulfilled' && o.value === 'created' ? [i] : [],
    );
    // Under the lease one writer writes at a time, and names come from content: a racer may fail (the
    // folder store sweeps a racer's temp file), but none may overwrite.
    expect(created.length).toBeLessThanOrEqual(1);
    const stored = (await store.get(key)).toString();
    if (created.length === 1) expect(stored).toBe(bodies[created[0]!]);
    else expect(bodies).toContain(stored);
  });

  it('many at once, where the store can: every object durable under its key, existing ones untouched', async () => {
    const { store, prefix } = await open();
    const old = `${prefix}d/2024/01/17/old.json.gz`;
    await store.putIfAbsent(old, Buffer.from('old'));
    const objects = [
      { key: `${prefix}d/2024/01/17/a.json.gz`, body: Buffer.from('a') },
      { key: old, body: Buffer.from('new') },
    ];
    const outcomes =
      (await store.putManyIfAbsent?.(objects, {})) ??
      (await Promise.all(objects.map((o) => store.putIfAbsent(o.key, o.body))));
    expect(outcomes).toEqual(['created', 'exists']);
    expect((await store.get(old)).toString()).toBe('old');
  });

  it('lists the keys under a prefix with their sizes, and deletes', async () => {
    const { store, prefix } = await open();
    await store.putIfAbsent(`${prefix}d/2024/02/01/one.json.gz`, Buffer.from('12345'));
    await store.putIfAbsent(`${prefix}d/2024/02/02/two.json.gz`, Buffer.from('1'));
    await store.putIfAbsent(`${prefix}e/2024/02/01/other.json.gz`, Buffer.from('1'));
    expect(await listed(store, `${prefix}d/`)).toEqual([
      `${prefix}d/2024/02/01/one.json.gz`,
      `${prefix}d/2024/02/02/two.json.gz`,
    ]);
    const sizes: number[] = [];
    for await (const o of store.list(`${prefix}d/2024/02/01/`)) sizes.push(o.size);
    expect(sizes).toEqual([5]);
    await store.delete(`${prefix}d/2024/02/02/two.json.gz`);
    expect(await listed(store, `${prefix}d/`)).toEqual([`${prefix}d/2024/02/01/one.json.gz`]);
  });

  it('localPath, where the store has it, is the file holding the object, and a prefix its folder', async () => {
    const { store, prefix } = await open();
    // A folder has it (the warehouse reads in place); S3 has not (the warehouse fetches copies).
    expect(store.localPath === undefined).toBe(store instanceof S3ObjectStore);
    if (!store.localPath) return;
    const key = `${prefix}d/2024/03/01/x.json.gz`;
    await store.putIfAbsent(key, Buffer.from('bytes'));
    expect(readFileSync(store.localPath(key), 'utf8')).toBe('bytes');
    expect(readdirSync(store.localPath(`${prefix}d/2024/03/01/`))).toEqual(['x.json.gz']);
  });
});
