import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { LakeLease, LeaseHeldError } from '../../src/commit/lease.js';
import { S3StateStore } from '../../src/state/s3-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { stateStoresOfEachKind } from '../helpers/state-stores.js';

const { stores: STORES, double } = stateStoresOfEachKind(
  'lake',
  { folder: 'a folder', s3: 'S3 (conditional writes)' },
  'lease',
);

const take = (store: StateStore, state: string, ttlMs = 30_000) =>
  LakeLease.acquire({
    store,
    lake: 'the lake',
    state: { id: state, location: `state ${state}` },
    command: 'test',
    ttlMs,
    waitMs: 0,
    log: silentLogger,
  });
const expire = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORES)('the lake lease on %s', (_, open) => {
  it('lets one of several writers racing for it have it', async () => {
    const store = await open();
    const results = await Promise.allSettled(['one', 'two', 'three'].map((s) => take(store, s)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LeaseHeldError);
    }
    await (won[0] as PromiseFulfilledResult<LakeLease>).value.release();
  });

  it('a writer whose lease was taken over after its TTL can no longer announce (the fence)', async () => {
    const store = await open();
    const a = await take(store, 'A', 300);
    await expire(400); // A is frozen: no renewal reached the store
    const b = await take(store, 'B');
    expect(b.fence).toBe(a.fence + 1);
    expect(b.previousState).toBe('A');
    // A resumes: whatever its clock says, the conditional write fails, and nothing is published.
    await expect(a.announce(['late'])).rejects.toThrow(/lost its lease/);
    expect(a.lost).toBe(true);
    await b.announce(['mine']);
    expect(b.inflight.map((e) => e.id)).toEqual(['mine']);
    await b.release();
  });

  it('an entry announced by a stopped holder: inherited by its own state, refused to another until finished', async () => {
    const store = await open();
    const a = await take(store, 'A', 300);
    await a.announce(['e1', 'e2']);
    a.settle(['e2']);
    await a.renew(); // the next write of the lease drops what is settled
    await expire(400);
    // Another state cannot finish A's entry, and its objects may still land: it takes nothing over.
    await expect(take(store, 'B')).rejects.toThrow(/in flight from another state \(state A/);
    const again = await take(store, 'A');
    expect(again.inherited('e1')).toBe(true);
    expect(again.inherited('e2')).toBe(false); // settled, and dropped by A's last write
    again.settle(['e1']);
    expect(again.inherited('e1')).toBe(false);
    await again.release();
    // Released with nothing in flight: another state takes it at once.
    const b = await take(store, 'B');
    expect(b.inflight).toEqual([]);
    await b.release();
  });

  it('a released holder publishes nothing more: another state takes over and leaves its entries to it', async () => {
    const store = await open();
    const a = await take(store, 'A');
    await a.announce(['unfinished']);
    await a.release();
    const b = await take(store, 'B');
    expect(b.inflight).toEqual([]);
    expect(b.inherited('unfinished')).toBe(false);
    await b.release();
    const a2 = await take(store, 'A');
    expect(a2.inherited('unfinished')).toBe(false); // A reconciles it against the lake on replay
    await a2.release();
  });
});

describe('the lake lease on S3: answers lost on the way back', () => {
  it('a create that landed but was answered 409 is recognised as this holder’s by its id', async () => {
    const { s3, client } = double();
    const store = new S3StateStore(client, 'lake', 'lost-create/');
    // S3 applies the write, the client sees 409 ConditionalRequestConflict, retries, and gets 412.
    s3.proxy.fail({ kind: 'PUT', prefix: 'lost-create/_pipeline/lease.json', status: 409, when: 'after' });
    const lease = await take(store, 'A');
    expect(lease.fence).toBe(1);
    const requests = s3.proxy.requests.filter((r) => r.key === 'lost-create/_pipeline/lease.json');
    expect(requests.filter((r) => r.kind === 'PUT').map((r) => r.status)).toEqual([409, 412]);
    await lease.release();
  });

  it('a renewal that landed but whose answer was lost does not lose the lease', async () => {
    const { s3, client } = double();
    const store = new S3StateStore(client, 'lake', 'lost-renew/');
    const lease = await take(store, 'A');
    s3.proxy.drop({ kind: 'PUT', prefix: 'lost-renew/_pipeline/lease.json', when: 'after' });
    await lease.announce(['t1']);
    expect(lease.lost).toBe(false);
    await lease.announce(['t2']);
    expect(lease.inflight.map((e) => e.id)).toEqual(['t1', 't2']);
    await lease.release();
  });
});
