import { writeTogether, type WrittenTransactions } from '../commit/index.js';
import { pausePoint } from '../util/pause-point.js';
import type { GzipThread, MemoryGuard, RowParser } from './engine/index.js';
import type { FinishSteps } from './finish-rows.js';
import type { FileProgress, ImportCheckpoint } from './import-checkpoint.js';
import type { ImportedFile, ImportReport } from './import-report.js';
import type { UserSink } from './import-sinks.js';

/**
 * Commits the import's batches while the next one is read, in a pipeline two deep: a batch's dates are
 * compressed (on the compression thread) while the batch before it is committed, and the main thread reads
 * on meanwhile. A commit is in two steps, each taken by one batch at a time and in order: outboxes and
 * objects, then ledgers; a batch's objects may be written while the batch before it writes its ledgers
 * (their flushes overlap). A batch's checkpoint is written only after its objects and ledger entries are
 * durable. At most two batches are held besides the one being read, so memory stays bounded.
 */
export class BatchPipeline {
  /** Rows admitted into the batch being built. */
  rows = 0;
  private previous: Promise<void> | undefined;
  /** The objects step of the last batch handed to the pipeline. */
  private writing: Promise<unknown> | undefined;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly sinks: Map<string, UserSink>,
    private readonly deps: {
      parser: RowParser;
      gzip: GzipThread;
      checkpoint: ImportCheckpoint;
      memory: MemoryGuard;
      report: ImportReport;
      /** --enrich and custom fields: the records' last step before compression. */
      finish: FinishSteps;
    },
  ) {}

  /**
   * Hands the batch being built to the pipeline. `entry`: the report's line of the file the batch is from,
   * updated once the batch is committed (its checkpoint written), never before: a failure later in the
   * pipeline leaves it saying what is in the lake.
   */
  async commit(
    checkpointKey: string,
    progressOf: Omit<FileProgress, 'updated_at'>,
    entry: ImportedFile,
    finalStatus: ImportedFile['status'],
  ): Promise<void> {
    const { parser, gzip, checkpoint, memory, report, finish } = this.deps;
    // The batch before the one in flight is done: at most two in the pipeline.
    await this.previous;
    // Each account's two datasets, detached together (one commit writes both).
    const batches = [...this.sinks.values()].map((sink) => [
      { sink: sink.tracks, batch: sink.tracks.detach() },
      { sink: sink.episodes, batch: sink.episodes.detach() },
    ]);
    this.rows = 0;
    const prepared = (async () => {
      for (const pair of batches) {
        for (const { sink, batch } of pair) await sink.complete(batch, finish);
        await Promise.all(pair.map(({ sink, batch }) => sink.prepare(batch, parser, gzip)));
      }
    })();
    const before = this.inflight;
    const beforeWritten = this.writing;
    this.previous = before;
    const written = (async () => {
      try {
        await prepared;
      } finally {
        // In order, even when this batch failed: the one before must not be abandoned half-way.
        await beforeWritten;
      }
      const out: WrittenTransactions[] = [];
      // Both datasets in one commit: their outboxes, objects and ledgers share the flushes.
      for (const pair of batches) {
        out.push(await writeTogether(pair.map(({ sink, batch }) => sink.transaction(batch))));
      }
      return out;
    })();
    this.writing = written;
    this.inflight = (async () => {
      let done: WrittenTransactions[];
      try {
        done = await written;
      } finally {
        await before;
      }
      for (const [i, pair] of batches.entries()) {
        const results = await done[i]!.finish();
        const [tracks, episodes] = pair.map(({ sink, batch }, k) => sink.finish(batch, results[k]!, report));
        report.rows_written += tracks!;
        report.episodes_written += episodes!;
      }
      await checkpoint.set(checkpointKey, progressOf);
      entry.rows = progressOf.rows_done;
      if (progressOf.complete) entry.status = finalStatus;
      memory.afterBatch();
      await pausePoint('import-after-batch');
    })();
    // Surfaced by the next `await drain()`; these only keep Node from calling them unhandled meanwhile.
    prepared.catch(() => {});
    written.catch(() => {});
    this.inflight.catch(() => {});
  }

  /** Waits for every batch handed over to be committed; throws the first failure. */
  async drain(): Promise<void> {
    await this.inflight;
  }

  /** Waits for the pipeline to stop, whatever happened (a commit must never run on behind a failure). */
  async settle(): Promise<void> {
    await this.inflight?.catch(() => {});
  }
}
