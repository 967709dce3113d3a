/**
 * Where an account's admitted rows wait to be committed, and the life of a batch of them, in order:
 * admitted (add) → detached (detach) → completed (complete: --enrich, custom fields) → prepared (prepare:
 * compressed into objects) → written (transaction,
 * committed with the other sinks' by batch-pipeline.ts) → finished (finish: booked, out of the in-flight
 * plays). One DatasetSink per account and dataset (tracks, episodes).
 */
import {
  buildObjectsFromLines,
  LineBatch,
  type PreparedObject,
  type SliceLines,
} from '../lake/build-objects.js';
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
import type { GzipThread, RowParser } from './engine/index.js';
import { finishRows, type FinishSteps } from './finish-rows.js';
import { recordWrites, type ImportReport } from './import-report.js';

const LEDGER_MONTHS_KEPT = 2;

/** Everything written for one account: a sink per dataset. */
export interface UserSink {
  tracks: DatasetSink;
  episodes: DatasetSink;
}

/** A batch taken out of its sink: its rows, their plays, and once prepared, its objects. */
export interface DetachedBatch {
  rows: LineBatch;
  keys: PlayKey[];
  /** The batch's plays, visible to lookups (inBatches) until the batch is finished. */
  index: PlaySet;
  objects?: PreparedObject[];
}

export class DatasetSink {
  /** Plays of the batch being built. */
  private pending = new PlaySet();
  /** Plays of the batches being compressed or committed (not yet in the ledger), oldest first. */
  private readonly committing: PlaySet[] = [];
  private rows = new LineBatch();
  private keys: PlayKey[] = [];

  private constructor(
    readonly kind: 'track' | 'episode',
    readonly dataset: Dataset,
    readonly ledger: PlayLedger,
    readonly committer: LakeCommitter,
  ) {}

  static open(
    writer: WriterSession,
    store: ObjectStore,
    log: Logger,
    userId: string,
    kind: 'track' | 'episode',
    dataset: Dataset,
    onObjectWritten: ObjectWrittenHook | undefined,
  ): DatasetSink {
    const name = kind === 'track' ? 'tracks' : 'episodes';
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
    return new DatasetSink(kind, dataset, ledger, committer);
  }

  /** Finishes what an interrupted run left in the outbox, before anything new is written; books it. */
  async recover(report: ImportReport): Promise<void> {
    const recovered = await this.committer.recover();
    report.plays_recovered += recovered.writes.reduce((n, w) => n + w.records, 0);
    recordWrites(report, recovered.writes);
  }

  /** Whether the play is in a batch of this run not yet in the ledger (the one being built or one in flight). */
  inBatches(play: PlayKey): boolean {
    if (this.pending.has(play)) return true;
    for (const index of this.committing) if (index.has(play)) return true;
    return false;
  }

  /** Admitted: a new play's row joins the batch being built. */
  add(play: PlayKey, t: number, text: Uint8Array, start: number, end: number, owner?: SliceLines): void {
    this.pending.add(play);
    this.rows.push(t, text, start, end, owner);
    this.keys.push(play);
  }

  /** Detached: the batch leaves the sink for committing; its plays stay visible to lookups until finished. */
  detach(): DetachedBatch {
    const batch = { rows: this.rows, keys: this.keys, index: this.pending };
    this.rows = new LineBatch();
    this.keys = [];
    this.pending = new PlaySet();
    this.committing.push(batch.index);
    return batch;
  }

  /** Completed: the batch's new records given what the export lacks (--enrich) and their custom fields. */
  async complete(batch: DetachedBatch, steps: FinishSteps): Promise<void> {
    await finishRows(batch.rows, this.kind, steps);
  }

  /** Prepared: the batch's dates compressed into objects. */
  async prepare(batch: DetachedBatch, parser: RowParser, gzip: GzipThread): Promise<void> {
    if (batch.rows.length === 0) return;
    const rows = batch.rows;
    batch.rows = new LineBatch();
    // Once the lines are copied for compression, the parser's buffers no other row needs go back to it, to be
    // written into again (reused, they never become garbage that piles up outside the heap until a full GC),
    // without waiting for the compression: they and the copy are never held together for long.
    batch.objects = await buildObjectsFromLines(this.dataset, rows, gzip, () =>
      parser.recycle(rows.release()),
    );
  }

  /** Written: what the batch commits (writeTogether commits it with the other sinks' batches). */
  transaction(batch: DetachedBatch): { committer: LakeCommitter; tx: LakeTransaction } {
    return { committer: this.committer, tx: { objects: batch.objects ?? [], plays: batch.keys } };
  }

  /** Finished: the committed batch booked in the report, its plays out of the in-flight sets; its row count. */
  finish(batch: DetachedBatch, result: CommitResult, report: ImportReport): number {
    recordWrites(report, result.writes);
    this.committing.splice(this.committing.indexOf(batch.index), 1);
    // An export is in time order: the next batch starts in the months this one ended in. A few months of
    // one account are a few MB, so memory stays bounded whatever the export size.
    this.ledger.releaseClean([], LEDGER_MONTHS_KEPT);
    return batch.keys.length;
  }
}
