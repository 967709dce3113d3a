import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ObjectStore } from '../lake/object-store.js';
import type { PreparedObject } from '../lake/build-objects.js';
import { parseNdjsonGzip } from '../lake/encode.js';
import type { Logger } from '../log.js';
import { pausePoint } from '../util/pause-point.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { corruptState } from './json-file.js';
import type { PlayKey, PlayLedger } from './ledger.js';
import { LocalStateStore } from './local-state-store.js';
import { reconcileOutbox } from './outbox-reconcile.js';
import { playKeyOfRecord } from './record-play-key.js';
import { userStateKey, type StateStore } from './state-store.js';
import { readUserMeta, writeUserMeta, type UserMeta } from './user-meta.js';

/** What a commit writes: objects, the plays they hold, and account bookkeeping to store with them. */
export interface LakeTransaction {
  objects: PreparedObject[];
  plays: PlayKey[];
  meta?: Partial<UserMeta>;
}

export interface ObjectWrite {
  key: string;
  bytes: number;
  records: number;
  outcome: 'created' | 'exists';
}

export interface CommitResult {
  writes: ObjectWrite[];
}

const outboxSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  created_at: z.string(),
  objects: z.array(z.object({ key: z.string(), body: z.string(), records: z.number(), date: z.string() })),
  plays: z.array(
    z.object({
      t: z.number(),
      id: z.string().nullable(),
      name: z.string(),
      src: z.enum(['api', 'ply', 'ext', 'acct']),
    }),
  ),
  meta: z.record(z.string(), z.unknown()).optional(),
});
/**
 * The outbox file since v2: one line of JSON (everything but the object bodies, with each body's length),
 * then the bodies back to back. Raw bytes instead of base64 inside JSON: no 4/3 blow-up, and no big strings
 * to build, parse and collect. Still one file written atomically, so a transaction is in it whole or not at all.
 */
const outboxHeaderSchema = outboxSchema.extend({
  v: z.literal(2),
  /**
   * The coverage epoch the transaction was decided in (see state-identity.ts); null when a month could not
   * be learned from the lake. A transaction replayed in another epoch is checked against the lake first.
   */
  epoch: z.number().nullable().optional(),
  objects: z.array(z.object({ key: z.string(), bytes: z.number(), records: z.number(), date: z.string() })),
});
/**
 * v3 (written since): v2 without the plays, which are read back from the objects' records when the outbox
 * is replayed (see playKeyOfRecord). They are exactly the keys of those records, and a replay is rare,
 * while writing them as JSON cost every commit as much as the rest of its bookkeeping.
 */
const outboxHeaderV3Schema = outboxHeaderSchema.omit({ plays: true }).extend({ v: z.literal(3) });
const anyOutboxHeaderSchema = z.discriminatedUnion('v', [outboxHeaderSchema, outboxHeaderV3Schema]);
const OUTBOX_V1 = '.json';
/** The outbox file of v2 and v3 (its header says which). */
const OUTBOX_BINARY = '.outbox';

/** A transaction as it is replayed: bodies as bytes, whichever outbox version held it. */
interface OutboxEntry {
  objects: { key: string; body: Buffer; records: number }[];
  plays: PlayKey[];
  meta?: Record<string, unknown>;
  /** Undefined for entries of versions before epochs, and of ledgers without coverage. */
  epoch?: number | null;
}

async function readOutbox(state: StateStore, key: string): Promise<OutboxEntry | undefined> {
  const file = `${state.location}/${key}`;
  const object = await state.read(key);
  if (!object) return undefined;
  const bytes = object.body;
  if (key.endsWith(OUTBOX_V1)) {
    let v1: z.infer<typeof outboxSchema>;
    try {
      v1 = outboxSchema.parse(JSON.parse(bytes.toString('utf8')));
    } catch (err) {
      throw corruptState(file, err);
    }
    return {
      objects: v1.objects.map((o) => ({
        key: o.key,
        body: Buffer.from(o.body, 'base64'),
        records: o.records,
      })),
      plays: v1.plays,
      meta: v1.meta,
    };
  }
  try {
    const eol = bytes.indexOf(0x0a);
    if (eol < 0) throw new Error('no header line');
    const header = anyOutboxHeaderSchema.parse(JSON.parse(bytes.subarray(0, eol).toString('utf8')));
    let offset = eol + 1;
    const objects = header.objects.map((o) => {
      const body = bytes.subarray(offset, offset + o.bytes);
      offset += o.bytes;
      if (body.length !== o.bytes) throw new Error(`the body of ${o.key} is cut short`);
      return { key: o.key, body, records: o.records };
    });
    if (offset !== bytes.length) throw new Error('unexpected bytes after the last body');
    const plays = header.v === 2 ? header.plays : objects.flatMap((o) => playsOf(o.key, o.body));
    return { objects, plays, meta: header.meta, epoch: header.epoch };
  } catch (err) {
    throw corruptState(file, err);
  }
}

/** The plays an object of a v3 outbox holds: the keys of its records. */
function playsOf(key: string, body: Buffer): PlayKey[] {
  return parseNdjsonGzip(body).map((record, i) => {
    const play = playKeyOfRecord(record as Record<string, unknown>);
    if (!play) throw new Error(`record ${i + 1} of ${key} has no play time or data_source`);
    return play;
  });
}

/**
 * The exactly-once protocol. A SIGKILL can strike between any two steps:
 *  1. the transaction (object bytes + bookkeeping; its plays are the objects' records) is made durable in the
 *     outbox: one atomic file;
 *  2. each object is written write-once under a name derived from its content, and made durable (it may be
 *     staged under a hidden temp name during step 1, but gets its name only after);
 *  3. the plays are added to the ledger;
 *  4. the outbox entry is deleted.
 * Before anything else, every run replays what the outbox still holds (steps 2-4). A replayed write
 * reproduces the same name and bytes, which write-once makes a no-op; adding a play twice to the ledger is
 * a no-op too. Before step 1 completes nothing is durable and the plays are simply collected again.
 */
export class LakeCommitter {
  /** The outbox's key prefix in the state, ending in "/". */
  private readonly outbox: string;
  readonly state: StateStore;

  constructor(
    private readonly options: {
      /** The state store (a folder path stands for the local state in that folder). */
      state: StateStore | string;
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
      /**
       * Called before anything of a commit is published: throws when this run may not write any more (the
       * lake's lease was lost), so that a writer that lost it never commits.
       */
      guard?: () => Promise<void>;
    },
  ) {
    this.state = typeof options.state === 'string' ? new LocalStateStore(options.state) : options.state;
    // Each ledger has its own outbox, so a replayed transaction lands in the ledger it was meant for.
    const dataset = options.ledger.dataset ?? 'tracks';
    this.outbox = userStateKey(options.userId, dataset === 'tracks' ? 'outbox/' : `outbox-${dataset}/`);
  }

  /** Throws when this run may not commit (see the `guard` option). */
  async guard(): Promise<void> {
    await this.options.guard?.();
  }

  /** Finishes transactions a crashed run left in the outbox. Returns what they wrote. */
  async recover(): Promise<CommitResult> {
    // Ids start with the time, so name order is commit order (files of every version alike).
    const names = (await this.state.list(this.outbox))
      .map((k) => k.slice(this.outbox.length))
      .filter((n) => !n.includes('/') && (n.endsWith(OUTBOX_V1) || n.endsWith(OUTBOX_BINARY)))
      .sort();
    const writes: ObjectWrite[] = [];
    for (const name of names) {
      const file = `${this.outbox}${name}`;
      let entry = await readOutbox(this.state, file);
      if (!entry) continue;
      await this.guard();
      const epoch = this.options.ledger.commitEpoch;
      if (typeof epoch === 'number' && entry.epoch !== epoch) {
        // Decided when the state did not vouch for the lake: what the lake holds now is not written again.
        const checked = await reconcileOutbox(entry.objects, (p) => this.options.ledger.has(p));
        if (checked.dropped > 0) {
          this.options.log.info(
            { userId: this.options.userId, outbox: name, alreadyInLake: checked.dropped },
            'an unfinished transaction held plays the lake already has: they are not written again',
          );
        }
        entry = { ...entry, objects: checked.objects, plays: checked.plays };
      }
      this.options.log.info(
        { userId: this.options.userId, outbox: name, objects: entry.objects.length },
        'finishing a transaction an earlier run left unfinished',
      );
      writes.push(...(await this.apply(file, entry)));
    }
    return { writes };
  }

  async commit(tx: LakeTransaction): Promise<CommitResult> {
    return (await commitTogether([{ committer: this, tx }]))[0]!;
  }

  /** Step 1: the transaction made durable in the outbox; returns the outbox file. */
  async writeOutbox(tx: LakeTransaction): Promise<string> {
    const id = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
    const objects = tx.objects.map((o) => ({
      key: o.key,
      bytes: o.body.length,
      records: o.records,
      date: o.date,
    }));
    const created_at = new Date().toISOString();
    // v3 when the plays are the objects' records, one each (every commit of ours); else the plays as they are.
    const epoch = this.options.ledger.commitEpoch;
    const header: z.infer<typeof anyOutboxHeaderSchema> =
      tx.objects.reduce((n, o) => n + o.records, 0) === tx.plays.length
        ? { v: 3, id, created_at, objects, meta: tx.meta, epoch }
        : { v: 2, id, created_at, objects, plays: tx.plays, meta: tx.meta, epoch };
    const file = `${this.outbox}${id}${OUTBOX_BINARY}`;
    await this.state.put(
      file,
      Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ...tx.objects.map((o) => o.body)]),
    );
    return file;
  }

  private async apply(file: string, entry: OutboxEntry): Promise<ObjectWrite[]> {
    const writes = await this.writeObjects(entry.objects);
    await finishAll([{ committer: this, entry, file }]);
    return writes;
  }

  /** Step 3: the plays added to the ledger, durably. */
  async recordPlays(entry: Pick<OutboxEntry, 'plays'>): Promise<void> {
    await this.options.ledger.add(entry.plays);
    await this.options.ledger.flush();
  }

  /** Step 4: the account bookkeeping stored, and the outbox entry deleted. */
  async finish(file: string, entry: Pick<OutboxEntry, 'meta'>): Promise<void> {
    const { userId } = this.options;
    if (entry.meta) {
      const current = await readUserMeta(this.state, userId);
      await writeUserMeta(this.state, userId, { ...current, ...entry.meta, user_id: userId });
    }
    await this.state.delete(file);
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
 * shared: the outboxes are written together, every object goes into the store in one batch (one pair of
 * filesystem flushes for a local lake), the ledgers are written together. Each transaction keeps the order
 * of the protocol (see LakeCommitter): none of its objects is published before its outbox is durable, its
 * ledger is written once its objects are durable, its outbox is deleted once its ledger is. A crash
 * leaves each outbox to be replayed on its own. Committers must share one store.
 */
export async function commitTogether(
  parts: readonly { committer: LakeCommitter; tx: LakeTransaction }[],
): Promise<CommitResult[]> {
  return (await writeTogether(parts)).finish();
}

/**
 * The first half of commitTogether: outboxes and objects (steps 1-2). A caller may write the next
 * transactions' objects before finishing these, as long as it finishes them in order, one at a time: a
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
  // Objects may be staged meanwhile, but none is published before the outboxes are durable, nor by a
  // writer without the lake's lease (the transaction then waits in the outbox for the next run).
  const ready = outboxes
    .then(() => Promise.all(live.map((p) => p.committer.guard())))
    .then(() => pausePoint('after-outbox'));
  ready.catch(() => {});
  const items = live.flatMap((p) =>
    p.tx.objects.map((object) => ({ committer: p.committer, object, part: p.i })),
  );
  let writes: ObjectWrite[];
  try {
    writes = await writeObjects(store, items, live[0]!.committer.writeConcurrency, ready);
  } catch (err) {
    // An outbox that could not be written is the problem to report, not the staging it cut short.
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

/** Steps 3-4 for transactions whose objects are durable: their ledgers, then bookkeeping and outbox entries. */
async function finishAll(
  parts: readonly { committer: LakeCommitter; entry: Pick<OutboxEntry, 'plays' | 'meta'>; file: string }[],
): Promise<void> {
  await Promise.all(parts.map((p) => p.committer.recordPlays(p.entry)));
  await pausePoint('after-ledger');
  await Promise.all(parts.map((p) => p.committer.finish(p.file, p.entry)));
  await pausePoint('after-commit');
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
  await forEachConcurrently(items, concurrency, async ({ committer, object }, i) =>
    committer.written(written(i, await store.putIfAbsent(object.key, object.body))),
  );
  return writes;
}
