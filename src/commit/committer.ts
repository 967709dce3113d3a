import { randomBytes } from 'node:crypto';
import type { ObjectStore, ObjectWrite } from '../lake/object-store.js';
import type { PreparedObject } from '../lake/build-objects.js';
import type { Logger } from '../log.js';
import { pausePoint } from '../util/pause-point.js';
import { forEachConcurrently } from '../util/concurrency.js';
import type { LeaseHandle } from './lease.js';
import type { PlayKey, PlayLedger } from './ledger.js';
import { rebuildObjects, reconcileOutbox } from './outbox-reconcile.js';
import {
  encodeOutbox,
  OUTBOX_SUFFIX,
  outboxIdOf,
  readOutbox,
  type OutboxEntry,
  type OutboxHeader,
} from './outbox-format.js';
import { outboxPrefix } from '../state/layout.js';
import type { StateStore } from '../state/state-store.js';
import { readUserMeta, writeUserMeta, type UserMeta } from './user-meta.js';

/** What a commit writes: objects, the plays they hold, and account bookkeeping to store with them. */
export interface LakeTransaction {
  objects: PreparedObject[];
  plays: PlayKey[];
  meta?: Partial<UserMeta>;
}

export interface CommitResult {
  writes: ObjectWrite[];
}

/**
 * The exactly-once protocol. A SIGKILL can strike between any two steps, and a writer can freeze between any
 * two and resume after another writer took the lake's lease:
 *  1. the transaction (object bytes + bookkeeping; its plays are the objects' records) is made durable in the
 *     outbox: one atomic file;
 *  2. the fence: a conditional write of the lake's lease names the entry in flight (LeaseHandle.announce),
 *     and fails if another writer took the lease, so a writer that lost it never publishes;
 *  3. each object is written write-once under a name derived from its content, and made durable (it may be
 *     staged under a hidden temp name meanwhile, but gets its name only after 2);
 *  4. the plays are added to the ledger;
 *  5. the outbox entry is deleted (and settled in the lease at its next write).
 * Before anything else, every run replays what the outbox still holds. An entry the lease names in flight
 * (announced by a holder of this state that stopped) is replayed as it is: the same names and bytes, so a
 * frozen holder's late PUTs find their keys taken. Any other entry was never published, and may have been
 * decided by a writer that had lost the lease: it is checked against the ledger and the lake first, and only
 * the plays they do not hold are written. docs/architecture.md gives the whole argument.
 */
export class LakeCommitter {
  /** The outbox's key prefix in the state, ending in "/". */
  private readonly outbox: string;
  readonly state: StateStore;

  constructor(
    private readonly options: {
      state: StateStore;
      userId: string;
      store: ObjectStore;
      ledger: PlayLedger;
      log: Logger;
      /** Called after each object is durable in the lake (metrics, Snowpipe REST notifications). */
      onObjectWritten?: (write: ObjectWrite) => void | Promise<void>;
      /**
       * Objects of one transaction written at once (default 1): writing several together overlaps their
       * waits. A store that can make a whole transaction durable at once (a local folder on Linux: one
       * filesystem flush) does; otherwise each write is durable on its own. The ledger comes after all.
       */
      writeConcurrency?: number;
      /** The lake's lease: the fence every publication goes through (none: a test's private lake). */
      lease?: LeaseHandle;
      /**
       * Adds the lake's custom fields to records queued without them (an entry written while the lake was
       * out of reach); without it such an entry stays queued.
       */
      completeRecords?: (records: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;
    },
  ) {
    this.state = options.state;
    // Each ledger has its own outbox, so a replayed transaction lands in the ledger it was meant for.
    const dataset = options.ledger.dataset ?? 'tracks';
    this.outbox = outboxPrefix(options.userId, dataset);
  }

  /** Step 2 for these outbox entries (see the class comment). */
  async announce(ids: readonly string[]): Promise<void> {
    await this.options.lease?.announce(ids);
  }

  settle(ids: readonly string[]): void {
    this.options.lease?.settle(ids);
  }

  /** Entries waiting in the outbox, oldest first (ids start with the time). */
  async pending(): Promise<string[]> {
    return (await this.state.list(this.outbox))
      .map((k) => k.slice(this.outbox.length))
      .filter((n) => !n.includes('/') && n.endsWith(OUTBOX_SUFFIX))
      .sort()
      .map((n) => `${this.outbox}${n}`);
  }

  /**
   * Finishes what earlier runs left in the outbox. Returns what they wrote, and how many entries stay queued
   * (all of them while this run holds no lease: a collection during a lake outage only adds to the queue).
   */
  async recover(): Promise<CommitResult & { queued: number }> {
    const files = await this.pending();
    const writes: ObjectWrite[] = [];
    if (files.length > 0 && (this.options.lease?.lost ?? false)) return { writes, queued: files.length };
    let queued = 0;
    for (let file of files) {
      let entry = await readOutbox(this.state, file);
      if (!entry) continue;
      if (this.options.lease?.inherited(entry.id)) {
        this.options.log.info(
          { userId: this.options.userId, outbox: entry.id, objects: entry.objects.length },
          'finishing a transaction a stopped writer of this state had started publishing',
        );
        writes.push(...(await this.apply(file, entry)));
        continue;
      }
      if (entry.fieldsPending) {
        if (!this.options.completeRecords) {
          queued++;
          continue;
        }
        ({ file, entry } = await this.withFields(file, entry));
      }
      // Never published (only announced entries can be), and perhaps decided by a writer that had lost the
      // lease: what the ledger and the lake hold now is not written again.
      const checked = await reconcileOutbox(entry.objects, (p) => this.options.ledger.has(p));
      if (checked.dropped > 0) {
        this.options.log.info(
          { userId: this.options.userId, outbox: entry.id, alreadyInLake: checked.dropped },
          'an unfinished transaction held plays the lake already has: they are not written again',
        );
      }
      entry = { ...entry, objects: checked.objects, plays: checked.plays };
      this.options.log.info(
        { userId: this.options.userId, outbox: entry.id, objects: entry.objects.length },
        'finishing a transaction an earlier run left unfinished',
      );
      await this.announce([entry.id]);
      writes.push(...(await this.apply(file, entry)));
    }
    return { writes, queued };
  }

  /** A queued entry with the lake's custom fields added: written to the outbox anew, the old one deleted. */
  private async withFields(file: string, entry: OutboxEntry): Promise<{ file: string; entry: OutboxEntry }> {
    const objects = await rebuildObjects(entry.objects, this.options.completeRecords!);
    const next = await this.writeOutbox({ objects, plays: entry.plays, meta: entry.meta });
    await this.state.delete(file);
    const written = await readOutbox(this.state, next);
    if (!written) throw new Error(`the outbox entry ${next} vanished as it was written`);
    return { file: next, entry: written };
  }

  async commit(tx: LakeTransaction): Promise<CommitResult> {
    return (await commitTogether([{ committer: this, tx }]))[0]!;
  }

  /** Step 1: the transaction made durable in the outbox; returns the outbox file. */
  async writeOutbox(tx: LakeTransaction, options: { fieldsPending?: boolean } = {}): Promise<string> {
    const id = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
    const objects = tx.objects.map((o) => ({
      key: o.key,
      bytes: o.body.length,
      records: o.records,
      date: o.date,
    }));
    if (tx.objects.reduce((n, o) => n + o.records, 0) !== tx.plays.length) {
      // The outbox keeps no plays of its own: a replay reads them from the records.
      throw new Error('LakeCommitter: a transaction must hold one play per record');
    }
    const header: OutboxHeader = {
      v: 3,
      id,
      created_at: new Date().toISOString(),
      epoch: this.options.ledger.commitEpoch ?? null,
      objects,
      meta: tx.meta,
      ...(options.fieldsPending ? { fields_pending: true } : {}),
    };
    const file = `${this.outbox}${id}${OUTBOX_SUFFIX}`;
    await this.state.put(
      file,
      encodeOutbox(
        header,
        tx.objects.map((o) => o.body),
      ),
    );
    return file;
  }

  /** The id the lease names an outbox file by. */
  static idOf(file: string): string {
    return outboxIdOf(file);
  }

  private async apply(file: string, entry: OutboxEntry): Promise<ObjectWrite[]> {
    const writes = await this.writeObjects(entry.objects);
    await finishAll([{ committer: this, entry, file }]);
    return writes;
  }

  /** Step 4: the plays added to the ledger, durably. */
  async recordPlays(entry: Pick<OutboxEntry, 'plays'>): Promise<void> {
    await this.options.ledger.add(entry.plays);
    await this.options.ledger.flush();
  }

  /** Step 5: the account bookkeeping stored, and the outbox entry deleted. */
  async finish(file: string, entry: Pick<OutboxEntry, 'meta'>): Promise<void> {
    const { userId } = this.options;
    if (entry.meta) {
      const current = await readUserMeta(this.state, userId);
      await writeUserMeta(this.state, userId, { ...current, ...entry.meta, user_id: userId });
    }
    await this.state.delete(file);
    this.settle([LakeCommitter.idOf(file)]);
  }

  get store(): ObjectStore {
    return this.options.store;
  }

  /** Tells the hooks of an object durable in the lake. */
  async written(write: ObjectWrite): Promise<void> {
    await this.options.onObjectWritten?.(write);
    await pausePoint('after-object');
  }

  get writeConcurrency(): number {
    return this.options.writeConcurrency ?? 1;
  }

  private async writeObjects(objects: OutboxEntry['objects']): Promise<ObjectWrite[]> {
    return writeObjects(
      this.options.store,
      objects.map((object) => ({ committer: this, object })),
      this.writeConcurrency,
      Promise.resolve(),
    );
  }
}

/** A transaction whose outbox and objects are durable (see writeTogether); finishing it writes its ledger. */
export interface WrittenTransactions {
  finish(): Promise<CommitResult[]>;
}

/**
 * Commits several committers' transactions (an import's tracks and episodes) in step, so their flushes are
 * shared: the outboxes are written together, announced in one write of the lease, every object goes into the
 * store in one batch (one pair of filesystem flushes for a local lake), the ledgers are written together.
 * Each transaction keeps the order of the protocol (see LakeCommitter). A crash leaves each outbox to be
 * replayed on its own. Committers must share one store and one lease.
 */
export async function commitTogether(
  parts: readonly { committer: LakeCommitter; tx: LakeTransaction }[],
): Promise<CommitResult[]> {
  return (await writeTogether(parts)).finish();
}

/**
 * The first half of commitTogether: outboxes, the fence and objects (steps 1-3). A caller may write the
 * next transactions' objects before finishing these, as long as it finishes them in order, one at a time: a
 * ledger is written by one finish at a time.
 */
export async function writeTogether(
  parts: readonly { committer: LakeCommitter; tx: LakeTransaction }[],
): Promise<WrittenTransactions> {
  const results: CommitResult[] = parts.map(() => ({ writes: [] }));
  const live = parts
    .map((part, i) => ({ ...part, i }))
    .filter(({ tx }) => tx.objects.length > 0 || tx.plays.length > 0 || tx.meta);
  if (live.length === 0) return { finish: async () => results };
  const store = live[0]!.committer.store;
  if (live.some((p) => p.committer.store !== store)) {
    throw new Error('commitTogether: the committers write to different stores');
  }

  const outboxes = Promise.all(live.map((p) => p.committer.writeOutbox(p.tx)));
  // Objects may be staged meanwhile, but none is published before the outboxes are durable and the lease
  // names them in flight; a writer that lost the lease publishes nothing (they wait for the next run).
  const ready = outboxes
    .then(async (files) => {
      await pausePoint('after-outbox');
      await live[0]!.committer.announce(files.map((f) => LakeCommitter.idOf(f)));
    })
    .then(() => pausePoint('after-announce'));
  ready.catch(() => {});
  const items = live.flatMap((p) =>
    p.tx.objects.map((object) => ({ committer: p.committer, object, part: p.i })),
  );
  let writes: ObjectWrite[];
  try {
    writes = await writeObjects(store, items, live[0]!.committer.writeConcurrency, ready);
  } catch (err) {
    // An outbox that could not be written (or a lost lease) is the problem to report, not the staging it cut short.
    await ready;
    throw err;
  }
  const files = await outboxes;
  items.forEach((item, j) => results[item.part]!.writes.push(writes[j]!));
  return {
    finish: async () => {
      await finishAll(live.map((p, j) => ({ committer: p.committer, entry: p.tx, file: files[j]! })));
      return results;
    },
  };
}

/** Steps 4-5 for transactions whose objects are durable: their ledgers, then bookkeeping and outbox entries. */
async function finishAll(
  parts: readonly { committer: LakeCommitter; entry: Pick<OutboxEntry, 'plays' | 'meta'>; file: string }[],
): Promise<void> {
  await Promise.all(parts.map((p) => p.committer.recordPlays(p.entry)));
  await pausePoint('after-ledger');
  await Promise.all(parts.map((p) => p.committer.finish(p.file, p.entry)));
  await pausePoint('after-commit');
}

/**
 * Runs fn over items, at most `limit` at a time; on a failure, starts no more and waits for those running
 * before it rejects. A writer must not release its lease while one of its PUTs may still land.
 */
async function eachSettling<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let failure: { err: unknown } | undefined;
  await forEachConcurrently(items, limit, async (item, i) => {
    if (failure) return;
    try {
      await fn(item, i);
    } catch (err) {
      failure ??= { err };
    }
  });
  if (failure) throw failure.err;
}

/**
 * Writes the objects write-once, each reported to its committer's hooks; every one is durable when this
 * returns, and none is published before `ready` resolves.
 */
async function writeObjects(
  store: ObjectStore,
  items: readonly { committer: LakeCommitter; object: OutboxEntry['objects'][number] }[],
  concurrency: number,
  ready: Promise<void>,
): Promise<ObjectWrite[]> {
  const writes: ObjectWrite[] = new Array(items.length);
  const written = (i: number, outcome: ObjectWrite['outcome']) => {
    const { object } = items[i]!;
    return (writes[i] = { key: object.key, bytes: object.body.length, records: object.records, outcome });
  };
  const outcomes =
    items.length > 1
      ? await store.putManyIfAbsent?.(
          items.map((item) => item.object),
          {
            beforePublish: async () => {
              await ready;
              await pausePoint('after-stage');
            },
          },
        )
      : undefined;
  if (outcomes) {
    // Durable as a batch: now tell the hooks, as many at once as writes would have gone.
    await forEachConcurrently(items, concurrency, (item, i) =>
      item.committer.written(written(i, outcomes[i]!)),
    );
    return writes;
  }
  await ready;
  await eachSettling(items, concurrency, async ({ committer, object }, i) =>
    committer.written(written(i, await store.putIfAbsent(object.key, object.body))),
  );
  return writes;
}
