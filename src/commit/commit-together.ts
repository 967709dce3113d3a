import type { ObjectStore, ObjectWrite } from '../lake/object-store.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { pausePoint } from '../util/pause-point.js';
import type { CommitResult, LakeTransaction, TransactionSteps } from './transaction.js';
import { outboxIdOf, type OutboxEntry } from './outbox-format.js';

/*
 * The commit protocol's steps run for several transactions at once (an import's tracks and episodes, a replay),
 * and the object writes they share. One transaction's steps and its outbox are in committer.ts.
 */

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
  parts: readonly { committer: TransactionSteps; tx: LakeTransaction }[],
): Promise<CommitResult[]> {
  return (await writeTogether(parts)).finish();
}

/**
 * The first half of commitTogether: outboxes, the fence and objects (steps 1-3). A caller may write the
 * next transactions' objects before finishing these, as long as it finishes them in order, one at a time: a
 * ledger is written by one finish at a time.
 */
export async function writeTogether(
  parts: readonly { committer: TransactionSteps; tx: LakeTransaction }[],
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
      await live[0]!.committer.announce(files.map((f) => outboxIdOf(f)));
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
export async function finishAll(
  parts: readonly { committer: TransactionSteps; entry: Pick<OutboxEntry, 'plays' | 'meta'>; file: string }[],
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
export async function writeObjects(
  store: ObjectStore,
  items: readonly { committer: TransactionSteps; object: OutboxEntry['objects'][number] }[],
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
