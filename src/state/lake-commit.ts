import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '../lake/object-store.js';
import type { PreparedObject } from '../lake/build-objects.js';
import type { Logger } from '../log.js';
import { pausePoint } from '../util/pause-point.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { corruptState, readStateFile } from './json-file.js';
import type { PlayKey, PlayLedger } from './ledger.js';
import { userStateDir } from './paths.js';
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
      src: z.enum(['api', 'ext', 'acct']),
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
  objects: z.array(z.object({ key: z.string(), bytes: z.number(), records: z.number(), date: z.string() })),
});
const OUTBOX_V1 = '.json';
const OUTBOX_V2 = '.outbox';

/** A transaction as it is replayed: bodies as bytes, whichever outbox version held it. */
interface OutboxEntry {
  objects: { key: string; body: Buffer; records: number }[];
  plays: PlayKey[];
  meta?: Record<string, unknown>;
}

async function readOutbox(file: string): Promise<OutboxEntry | undefined> {
  if (file.endsWith(OUTBOX_V1)) {
    const v1 = await readStateFile(file, (v) => outboxSchema.parse(v));
    if (!v1) return undefined;
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
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corruptState(file, err);
  }
  try {
    const eol = bytes.indexOf(0x0a);
    if (eol < 0) throw new Error('no header line');
    const header = outboxHeaderSchema.parse(JSON.parse(bytes.subarray(0, eol).toString('utf8')));
    let offset = eol + 1;
    const objects = header.objects.map((o) => {
      const body = bytes.subarray(offset, offset + o.bytes);
      offset += o.bytes;
      if (body.length !== o.bytes) throw new Error(`the body of ${o.key} is cut short`);
      return { key: o.key, body, records: o.records };
    });
    if (offset !== bytes.length) throw new Error('unexpected bytes after the last body');
    return { objects, plays: header.plays, meta: header.meta };
  } catch (err) {
    throw corruptState(file, err);
  }
}

/**
 * The exactly-once protocol. A SIGKILL can strike between any two steps:
 *  1. the transaction (object bytes + plays + bookkeeping) is made durable in the outbox: one atomic file;
 *  2. each object is written write-once under a name derived from its content, and made durable;
 *  3. the plays are added to the ledger;
 *  4. the outbox entry is deleted.
 * Before anything else, every run replays what the outbox still holds (steps 2-4). A replayed write
 * reproduces the same name and bytes, which write-once makes a no-op; adding a play twice to the ledger is
 * a no-op too. Before step 1 completes nothing is durable and the plays are simply collected again.
 */
export class LakeCommitter {
  private readonly outboxDir: string;

  constructor(
    private readonly options: {
      stateDir: string;
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
    },
  ) {
    // Each ledger has its own outbox, so a replayed transaction lands in the ledger it was meant for.
    const dataset = options.ledger.dataset ?? 'tracks';
    this.outboxDir = path.join(
      userStateDir(options.stateDir, options.userId),
      dataset === 'tracks' ? 'outbox' : `outbox-${dataset}`,
    );
  }

  /** Finishes transactions a crashed run left in the outbox. Returns what they wrote. */
  async recover(): Promise<CommitResult> {
    let names: string[];
    try {
      // Ids start with the time, so name order is commit order (v1 and v2 files alike).
      names = (await fs.readdir(this.outboxDir))
        .filter((n) => !n.startsWith('.') && (n.endsWith(OUTBOX_V1) || n.endsWith(OUTBOX_V2)))
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { writes: [] };
      throw err;
    }
    const writes: ObjectWrite[] = [];
    for (const name of names) {
      const file = path.join(this.outboxDir, name);
      const entry = await readOutbox(file);
      if (!entry) continue;
      this.options.log.info(
        { userId: this.options.userId, outbox: name, objects: entry.objects.length },
        'finishing a transaction an earlier run left unfinished',
      );
      writes.push(...(await this.apply(file, entry)));
    }
    return { writes };
  }

  async commit(tx: LakeTransaction): Promise<CommitResult> {
    if (tx.objects.length === 0 && tx.plays.length === 0 && !tx.meta) return { writes: [] };
    const id = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
    const header: z.infer<typeof outboxHeaderSchema> = {
      v: 2,
      id,
      created_at: new Date().toISOString(),
      objects: tx.objects.map((o) => ({
        key: o.key,
        bytes: o.body.length,
        records: o.records,
        date: o.date,
      })),
      plays: tx.plays,
      meta: tx.meta,
    };
    const file = path.join(this.outboxDir, `${id}${OUTBOX_V2}`);
    await writeFileAtomic(
      file,
      Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ...tx.objects.map((o) => o.body)]),
    );
    await pausePoint('after-outbox');
    const entry: OutboxEntry = { objects: tx.objects, plays: tx.plays, meta: tx.meta };
    return { writes: await this.apply(file, entry) };
  }

  private async apply(file: string, entry: OutboxEntry): Promise<ObjectWrite[]> {
    const { ledger, stateDir, userId } = this.options;
    const writes = await this.writeObjects(entry.objects);
    await ledger.add(entry.plays);
    await ledger.flush();
    await pausePoint('after-ledger');
    if (entry.meta) {
      const current = await readUserMeta(stateDir, userId);
      await writeUserMeta(stateDir, userId, { ...current, ...entry.meta, user_id: userId });
    }
    await fs.rm(file, { force: true });
    await pausePoint('after-commit');
    return writes;
  }

  /** Writes the objects write-once; every one is durable when this returns. */
  private async writeObjects(objects: OutboxEntry['objects']): Promise<ObjectWrite[]> {
    const { store, onObjectWritten } = this.options;
    const concurrency = this.options.writeConcurrency ?? 1;
    const writes: ObjectWrite[] = new Array(objects.length);
    const written = (i: number, outcome: ObjectWrite['outcome']) => {
      const obj = objects[i]!;
      return (writes[i] = { key: obj.key, bytes: obj.body.length, records: obj.records, outcome });
    };
    const outcomes =
      objects.length > 1
        ? await store.putManyIfAbsent?.(objects, { beforePublish: () => pausePoint('after-stage') })
        : undefined;
    if (outcomes) {
      // Durable as a batch: now tell the hooks, as many at once as writes would have gone.
      await forEachConcurrently(objects, concurrency, async (_, i) => {
        const write = written(i, outcomes[i]!);
        await onObjectWritten?.(write);
        await pausePoint('after-object');
      });
      return writes;
    }
    await forEachConcurrently(objects, concurrency, async (obj, i) => {
      const write = written(i, await store.putIfAbsent(obj.key, obj.body));
      await onObjectWritten?.(write);
      await pausePoint('after-object');
    });
    return writes;
  }
}
