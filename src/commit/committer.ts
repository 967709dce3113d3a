import { randomBytes } from 'node:crypto';
import type { ObjectStore, ObjectWrite } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { commitTogether, finishAll, writeObjects } from './commit-together.js';
import type { CommitResult, LakeTransaction } from './transaction.js';
import { pausePoint } from '../util/pause-point.js';
import type { LeaseHandle } from './lease.js';
import type { PlayLedger } from './ledger.js';
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
import { readUserMeta, writeUserMeta } from './user-meta.js';

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
          'finishing the writing of plays a stopped run had started putting in the lake',
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
          'plays left by an interrupted run are already in the lake: they are not written again',
        );
      }
      entry = { ...entry, objects: checked.objects, plays: checked.plays };
      this.options.log.info(
        { userId: this.options.userId, outbox: entry.id, objects: entry.objects.length },
        'writing the plays an interrupted earlier run had collected but not yet put in the lake',
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
