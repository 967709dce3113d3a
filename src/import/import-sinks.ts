/**
 * Where an account's admitted rows wait to be committed: per dataset (tracks, episodes) a ledger, a committer
 * and the batch being built, with the plays of batches still in flight, so that deduplication sees them.
 */
import type { PreparedObject } from '../lake/build-objects.js';
import type { Dataset } from '../lake/layout.js';
import type { ObjectWrittenHook } from '../lake/object-written-hooks.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import {
  type CommitResult,
  type LakeCommitter,
  type LakeTransaction,
  type PlayKey,
  type PlayLedger,
  PlaySet,
  sessionCommitter,
  type WriterSession,
} from '../commit/index.js';
import { buildObjectsFromLines, LineBatch } from './build-objects-from-lines.js';
import type { GzipThread } from './gzip-thread.js';
import { recordWrites, type ImportReport } from './import-report.js';
import type { RowParser } from './row-parser.js';

const LEDGER_MONTHS_KEPT = 2;

/** Everything written for one account: a ledger and committer per dataset, and the batch being built. */
export interface UserSink {
  tracks: DatasetSink;
  episodes: DatasetSink;
}

export interface DatasetSink {
  dataset: Dataset;
  ledger: PlayLedger;
  committer: LakeCommitter;
  pending: PlaySet;
  /** Plays of the batches being compressed or committed (not yet in the ledger), oldest first. */
  committing: PlaySet[];
  rows: LineBatch;
  keys: PlayKey[];
}

export async function datasetSink(
  writer: WriterSession,
  store: ObjectStore,
  log: Logger,
  userId: string,
  name: string,
  dataset: Dataset,
  onObjectWritten: ObjectWrittenHook | undefined,
): Promise<DatasetSink> {
  // Months the state does not vouch for are learned from the lake first: a re-import with a new or lost
  // state writes nothing twice.
  const ledger = writer.ledger(userId, store, { name, prefix: dataset.prefix });
  const committer = sessionCommitter(writer, {
    userId,
    store,
    ledger,
    log,
    onObjectWritten,
    // An import commits hundreds of day files at once: overlapping their fsyncs is most of its speed.
    writeConcurrency: 32,
  });
  return {
    dataset,
    ledger,
    committer,
    pending: new PlaySet(),
    committing: [],
    rows: new LineBatch(),
    keys: [],
  };
}

/** Whether the play is in a batch of this run not yet in the ledger (the one being built or one in flight). */
export function inBatches(ds: DatasetSink, play: PlayKey): boolean {
  if (ds.pending.has(play)) return true;
  for (const index of ds.committing) if (index.has(play)) return true;
  return false;
}

export interface Detached {
  ds: DatasetSink;
  rows: LineBatch;
  keys: PlayKey[];
  index: PlaySet;
  objects?: PreparedObject[];
}

/** Takes the batch out of the sink for committing; its plays stay visible to lookups until committed. */
export function detach(ds: DatasetSink): Detached {
  const batch = { ds, rows: ds.rows, keys: ds.keys, index: ds.pending };
  ds.rows = new LineBatch();
  ds.keys = [];
  ds.pending = new PlaySet();
  ds.committing.push(batch.index);
  return batch;
}

/** Compresses the batch's dates into objects. */
export async function prepare(batch: Detached, parser: RowParser, gzip: GzipThread): Promise<void> {
  if (batch.rows.length === 0) return;
  const rows = batch.rows;
  batch.rows = new LineBatch();
  // Once the lines are copied for compression, the parser's buffers no other row needs go back to it, to be
  // written into again (reused, they never become garbage that piles up outside the heap until a full GC),
  // without waiting for the compression: they and the copy are never held together for long.
  batch.objects = await buildObjectsFromLines(batch.ds.dataset, rows, gzip, () =>
    parser.recycle(rows.release()),
  );
}

export function transactionsOf(batches: Detached[]): { committer: LakeCommitter; tx: LakeTransaction }[] {
  return batches.map(({ ds, keys, objects }) => ({
    committer: ds.committer,
    tx: { objects: objects ?? [], plays: keys },
  }));
}

/** Books a committed batch: the report, and its plays out of the in-flight sets (the ledger holds them now). */
export function finishPrepared(batches: Detached[], results: CommitResult[], report: ImportReport): number[] {
  return batches.map(({ ds, keys, index }, i) => {
    recordWrites(report, results[i]!.writes);
    ds.committing.splice(ds.committing.indexOf(index), 1);
    // An export is in time order: the next batch starts in the months this one ended in. A few months of
    // one account are a few MB, so memory stays bounded whatever the export size.
    ds.ledger.releaseClean([], LEDGER_MONTHS_KEPT);
    return keys.length;
  });
}
