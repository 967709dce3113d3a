import { describe, expect, it } from 'vitest';
import { StateConflictError } from '../../src/state/state-store.js';
import { stateStoresOfEachKind } from '../helpers/state-stores.js';

/**
 * What every StateStore must do (src/state/state-store.ts), one test body run against each implementation:
 * a folder, and S3 through the conditional-write double (test/fakes/conditional-s3.ts).
 */
const { stores: IMPLEMENTATIONS } = stateStoresOfEachKind(
  'state',
  { folder: 'LocalStateStore', s3: 'S3StateStore' },
  'contract',
);

describe.each(IMPLEMENTATIONS)('StateStore contract: %s', (_, open) => {
  it('reads nothing for a missing key, and what was written, with a version', async () => {
    const store = await open();
    expect(await store.read('users/a/meta.json')).toBeUndefined();
    const version = await store.put('users/a/meta.json', '{"n":1}');
    const got = await store.read('users/a/meta.json');
    expect(got?.body.toString()).toBe('{"n":1}');
    expect(got?.version).toBe(version);
  });

  it('creates a key once: a second create reports that it exists and changes nothing', async () => {
    const store = await open();
    expect(await store.create('k.json', 'first')).toBeTruthy();
    expect(await store.create('k.json', 'second')).toBeUndefined();
    expect((await store.read('k.json'))!.body.toString()).toBe('first');
  });

  it('replaces only the version it read; a stale or missing one is a conflict, never an overwrite', async () => {
    const store = await open();
    const v1 = (await store.create('k.json', 'one'))!;
    const v2 = await store.replace('k.json', 'two', v1);
    expect(v2).not.toBe(v1);
    await expect(store.replace('k.json', 'stale', v1)).rejects.toBeInstanceOf(StateConflictError);
    await expect(store.replace('gone.json', 'x', v2)).rejects.toBeInstanceOf(StateConflictError);
    expect((await store.read('k.json'))!.body.toString()).toBe('two');
  });

  it('of two replaces racing from one version, exactly one wins', async () => {
    const store = await open();
    const v1 = (await store.create('race.json', '0'))!;
    const results = await Promise.allSettled(['a', 'b', 'c'].map((x) => store.replace('race.json', x, v1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StateConflictError);
    }
  });

  it('lists keys under a prefix, sorted, without hidden names; putMany writes them all', async () => {
    const store = await open();
    await store.putMany([
      { key: 'users/b/outbox/2.outbox', body: 'b' },
      { key: 'users/b/outbox/1.outbox', body: Buffer.from('a') },
      { key: 'users/c/meta.json', body: '{}' },
    ]);
    expect(await store.list('users/b/outbox/')).toEqual([
      'users/b/outbox/1.outbox',
      'users/b/outbox/2.outbox',
    ]);
    expect(await store.list('users/none/')).toEqual([]);
  });

  it('deletes (a missing key is no error); a conditional delete of a changed key is a conflict', async () => {
    const store = await open();
    const v1 = (await store.create('d.json', '1'))!;
    await store.replace('d.json', '2', v1);
    await expect(store.delete('d.json', v1)).rejects.toBeInstanceOf(StateConflictError);
    await store.delete('d.json');
    expect(await store.read('d.json')).toBeUndefined();
    await store.delete('d.json');
  });
});
