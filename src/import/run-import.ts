import { randomUUID } from 'node:crypto';
import { describeLake, type Config } from '../config.js';
import { ConfigError, ExitCode, PipelineError, errorMessage, type ExitCodeValue } from '../errors.js';
import { tracksDataset, type Dataset } from '../lake/layout.js';
import { configuredObjectHooks } from '../integrations/configured-object-hooks.js';
import { chainHooks, type ObjectWrittenHook } from '../lake/object-written-hooks.js';
import type { PreparedObject } from '../lake/build-objects.js';
import type { ObjectStore } from '../lake/object-store.js';
import { sweepOrphanTemps } from '../lake/local-store.js';
import { openObjectStore } from '../lake/open-store.js';
import type { Logger } from '../log.js';
import { EPISODE_DATASET_PREFIX, EPISODE_FILE_PREFIX } from '../record/episode-schema.js';
import { tokenStore } from '../spotify/token-store.js';
import {
  LakeCommitter,
  writeTogether,
  type CommitResult,
  type LakeTransaction,
  type ObjectWrite,
  type WrittenTransactions,
} from '../state/lake-commit.js';
import type { PlayKey, PlayLedger } from '../state/ledger.js';
import type { StateStore } from '../state/state-store.js';
import { openStateStore } from '../state/open-state-store.js';
import { openWriterSession, type WriterSession } from '../state/writer-session.js';
import { emitRunMetrics } from '../metrics/emf.js';
import { appendRunHistory } from '../state/run-history.js';
import { pausePoint } from '../util/pause-point.js';
import { buildObjectsFromLines, LineBatch, type SliceLines } from './build-objects-from-lines.js';
import { discoverExport, type SourceFile } from './export-sources.js';
import { GzipThread } from './gzip-thread.js';
import { ImportCheckpoint, type FileProgress } from './import-checkpoint.js';
import type { HistoryKind, ImportSkipReason } from './map-rows.js';
import { ROW_NEEDS_USER, ROW_TRACK, USER_PLACEHOLDER_JSON, type RowColumns } from './parse-worker.js';
import { ParserThreadError, RowParseError, RowParser } from './row-parser.js';
import { MemoryGuard } from './memory-guard.js';
import { PlaySet } from '../state/play-set.js';
import type { EnrichStats, TrackEnricher } from './track-enricher.js';
import { finishRows } from './finish-rows.js';
import { openCustomFields, type CustomFields } from '../custom-fields/custom-fields.js';

export const DEFAULT_MIN_MS_PLAYED = 30_000;
/** Rows held in memory before a commit: a typical export file (~16,000 rows) is one batch. */
export const DEFAULT_BATCH_ROWS = 20_000;
const MAX_INVALID_EXAMPLES = 5;
const LEDGER_MONTHS_KEPT = 2;
/**
 * Above these resident sizes a full garbage collection runs after every other batch, or after any batch
 * (the target is a 300 MB peak; see MemoryGuard). The import's three threads sit at 200-240 MB; measured
 * peaks with these are 245-265 MB at 0.5 million rows and 258-276 MB at 2 million.
 */
const MEMORY_BUDGET_BYTES = 240 * 1024 * 1024;
const MEMORY_HARD_BUDGET_BYTES = 260 * 1024 * 1024;

export interface ImportProgress {
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  rowsRead: number;
  currentFile: string;
}

export interface ImportOptions {
  paths: string[];
  /** user_id of rows without `username` (else the only connected account). */
  user?: string;
  minMsPlayed?: number;
  enrich?: boolean;
  batchRows?: number;
  store?: ObjectStore;
  onProgress?: (progress: ImportProgress) => void;
  now?: () => Date;
}

export interface ImportedFile {
  file: string;
  kind: HistoryKind;
  /** Rows of the file committed to the lake, by this run or an earlier one (a failed file: as far as it got). */
  rows: number;
  /**
   * imported: read and committed now; resumed: the rows an interrupted import had not committed, read and
   * committed now; already_imported: skipped; failed: not committed to its end (its first `rows` are).
   */
  status: 'imported' | 'resumed' | 'already_imported' | 'failed';
}

/** The final report of an import: printed, `--json`, and (without the object list) in the run history. */
export interface ImportReport {
  run_id: string;
  command: 'import';
  outcome: 'ok' | 'failed' | 'auth_required';
  exit_code: ExitCodeValue;
  error?: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  lake: string;
  resumed: boolean;
  files_found: { extended: number; account_data: number; ignored: number };
  files: ImportedFile[];
  ignored_files: string[];
  files_read: number;
  rows_read: number;
  rows_already_imported: number;
  rows_written: number;
  episodes_written: number;
  rows_skipped: number;
  skipped_by_reason: Partial<Record<ImportSkipReason, number>>;
  invalid_examples: { file: string; index: number; problem: string }[];
  /** Rows holding bytes that are not UTF-8: imported, with U+FFFD (�) in place of each bad sequence. */
  invalid_utf8_rows: number;
  /** The first of them, by file and row index. */
  invalid_utf8_examples: { file: string; index: number }[];
  plays_already_present: number;
  episodes_already_present: number;
  plays_recovered: number;
  date_range: { first: string; last: string } | null;
  users: string[];
  objects_written: number;
  bytes_written: number;
  objects: string[];
  enrich: EnrichStats | null;
}

/** Everything written for one account: a ledger and committer per dataset, and the batch being built. */
interface UserSink {
  tracks: DatasetSink;
  episodes: DatasetSink;
}

interface DatasetSink {
  dataset: Dataset;
  ledger: PlayLedger;
  committer: LakeCommitter;
  pending: PlaySet;
  /** Plays of the batches being compressed or committed (not yet in the ledger), oldest first. */
  committing: PlaySet[];
  rows: LineBatch;
  keys: PlayKey[];
}

/**
 * Imports a privacy-data export into the lake, exactly once. Files are read as streams (Extended history
 * first) and committed in batches of whole files (bigger files in chunks of `batchRows`) through the
 * same outbox → write-once objects → ledger protocol as the collector, so a crash loses at most the batch
 * in flight; a checkpoint of committed rows per file lets a rerun resume instead of starting over.
 */
export async function runImport(config: Config, log: Logger, options: ImportOptions): Promise<ImportReport> {
  const started = new Date();
  const now = options.now ?? (() => new Date());
  const runLog = log.child({ command: 'import' });
  const minMsPlayed = options.minMsPlayed ?? DEFAULT_MIN_MS_PLAYED;
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const report: ImportReport = {
    run_id: randomUUID(),
    command: 'import',
    outcome: 'ok',
    exit_code: ExitCode.ok,
    started_at: started.toISOString(),
    finished_at: '',
    duration_ms: 0,
    lake: describeLake(config.storage),
    resumed: false,
    files_found: { extended: 0, account_data: 0, ignored: 0 },
    files: [],
    ignored_files: [],
    files_read: 0,
    rows_read: 0,
    rows_already_imported: 0,
    rows_written: 0,
    episodes_written: 0,
    rows_skipped: 0,
    skipped_by_reason: {},
    invalid_examples: [],
    invalid_utf8_rows: 0,
    invalid_utf8_examples: [],
    plays_already_present: 0,
    episodes_already_present: 0,
    plays_recovered: 0,
    date_range: null,
    users: [],
    objects_written: 0,
    bytes_written: 0,
    objects: [],
    enrich: null,
  };

  let writer: WriterSession | undefined;
  let close = () => {};
  let parser: RowParser | undefined;
  let compressor: GzipThread | undefined;
  let customFields: CustomFields | undefined;
  let inflight: Promise<void> | undefined;
  try {
    const found = await discoverExport(options.paths);
    close = found.close;
    // Taken once the export is known to be readable: a bad path or file touches nothing in the lake.
    writer = await openWriterSession(config, runLog, 'import');
    const session = writer;
    await sweepOrphanTemps(config.storage, runLog); // under the lake's lease, before any write
    report.files_found = {
      extended: found.files.filter((f) => f.kind === 'extended').length,
      account_data: found.files.filter((f) => f.kind === 'account_data').length,
      ignored: found.ignored.length,
    };
    report.ignored_files = found.ignored;
    runLog.info(
      { ...report.files_found, files: found.files.map((f) => f.display) },
      'found listening history in the export',
    );

    const accounts = await (await tokenStore(config)).list();
    const fallback = options.user ?? (accounts.length === 1 ? accounts[0]!.user_id : undefined);
    // One export is one person's: Account Data rows (which never say whose they are) belong to the user
    // its Extended rows name, unless --user says otherwise.
    const exportUsers = new Set<string>();
    const fallbackUser = () => {
      if (options.user !== undefined) return options.user;
      if (exportUsers.size === 1) return [...exportUsers][0]!;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        accounts.length === 0
          ? 'These export rows do not say whose plays they are (no "username"), and no Spotify account is connected: pass --user <your Spotify user id>.'
          : `These export rows do not say whose plays they are (no "username"), and several accounts are connected (${accounts.map((a) => a.user_id).join(', ')}): pass --user <id> to say whose export this is.`,
      );
    };

    const store = options.store ?? (await openObjectStore(config.storage));
    const hook = chainHooks(await configuredObjectHooks(config, runLog));
    const enricher = options.enrich ? await openEnricher(config, session.state, runLog, fallback) : undefined;
    // Under the lease, before any write: new custom fields are recorded in the lake first.
    customFields = await openCustomFields(config, runLog);
    const finish = { enricher, customFields };
    const checkpoint = await ImportCheckpoint.open(session.state);
    const ingestedAt = now().toISOString();
    const rowParser = new RowParser();
    parser = rowParser;
    const gzip = new GzipThread();
    compressor = gzip;
    const memory = new MemoryGuard(MEMORY_BUDGET_BYTES, MEMORY_HARD_BUDGET_BYTES);

    const sinks = new Map<string, UserSink>();
    const sinkOf = async (userId: string): Promise<UserSink> => {
      let sink = sinks.get(userId);
      if (!sink) {
        sink = {
          tracks: await datasetSink(
            session,
            store,
            runLog,
            userId,
            'tracks',
            tracksDataset(config.storage.prefix),
            hook,
          ),
          episodes: await datasetSink(
            session,
            store,
            runLog,
            userId,
            'episodes',
            { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX },
            hook,
          ),
        };
        for (const ds of [sink.tracks, sink.episodes]) {
          const recovered = await ds.committer.recover();
          report.plays_recovered += recovered.writes.reduce((n, w) => n + w.records, 0);
          record(report, recovered.writes);
        }
        sinks.set(userId, sink);
        report.users.push(userId);
      }
      return sink;
    };

    let inBatch = 0;
    /**
     * Batches are committed while the next one is read, in a pipeline two deep: a batch's dates are
     * compressed (on the compression thread) while the batch before it is committed, and the main thread
     * reads on meanwhile. A commit is in two steps, each taken by one batch at a time and in order: outboxes
     * and objects, then ledgers; a batch's objects may be written while the batch before it writes its
     * ledgers (their flushes overlap). A batch's checkpoint is written only after its objects and ledger
     * entries are durable. At most two batches are held besides the one being read, so memory stays bounded.
     */
    let previous: Promise<void> | undefined;
    /** The objects step of the last batch handed to the pipeline. */
    let writing: Promise<unknown> | undefined;
    /**
     * `entry`: the report's line of the file the batch is from, updated once the batch is committed (its
     * checkpoint written), never before: a failure later in the pipeline leaves it saying what is in the lake.
     */
    const commitBatch = async (
      checkpointKey: string,
      progressOf: Omit<FileProgress, 'updated_at'>,
      entry: ImportedFile,
      finalStatus: ImportedFile['status'],
    ) => {
      // The batch before the one in flight is done: at most two in the pipeline.
      await previous;
      const batches = [...sinks.values()].map((sink) => ({
        tracks: detach(sink.tracks),
        episodes: detach(sink.episodes),
      }));
      inBatch = 0;
      const prepared = (async () => {
        for (const b of batches) {
          await finishRows(b.tracks.rows, 'track', finish);
          await finishRows(b.episodes.rows, 'episode', finish);
          await Promise.all([prepare(b.tracks, rowParser, gzip), prepare(b.episodes, rowParser, gzip)]);
        }
      })();
      const before = inflight;
      const beforeWritten = writing;
      previous = before;
      const written = (async () => {
        try {
          await prepared;
        } finally {
          // In order, even when this batch failed: the one before must not be abandoned half-way.
          await beforeWritten;
        }
        const out: WrittenTransactions[] = [];
        // Both datasets in one commit: their outboxes, objects and ledgers share the flushes.
        for (const b of batches) out.push(await writeTogether(transactionsOf([b.tracks, b.episodes])));
        return out;
      })();
      writing = written;
      inflight = (async () => {
        let done: WrittenTransactions[];
        try {
          done = await written;
        } finally {
          await before;
        }
        for (const [i, b] of batches.entries()) {
          const [tracks, episodes] = finishPrepared([b.tracks, b.episodes], await done[i]!.finish(), report);
          report.rows_written += tracks!;
          report.episodes_written += episodes!;
        }
        await checkpoint.set(checkpointKey, progressOf);
        entry.rows = progressOf.rows_done;
        if (progressOf.complete) entry.status = finalStatus;
        memory.afterBatch();
        await pausePoint('import-after-batch');
      })();
      // Surfaced by the next `await inflight`; these only keep Node from calling them unhandled meanwhile.
      prepared.catch(() => {});
      written.catch(() => {});
      inflight.catch(() => {});
    };

    const progress: ImportProgress = {
      filesTotal: found.files.length,
      filesDone: 0,
      bytesTotal: found.files.reduce((n, f) => n + f.size, 0),
      bytesDone: 0,
      rowsRead: 0,
      currentFile: '',
    };
    let first = Infinity;
    let last = -Infinity;

    /** Rows of the file being imported done so far (what its checkpoint may say). */
    let index = 0;
    /**
     * Deduplicates a slice's rows and adds the new ones to the batch (committing it when full). Its own
     * function, not part of runImport's loop: V8 re-optimises a hot function whenever a rare path in it
     * first runs, and runImport is too big to compile again and again.
     */
    const admitRows = async (
      c: RowColumns,
      src: SourceFile,
      key: string,
      owner: SliceLines,
      entry: ImportedFile,
    ) => {
      const source = src.kind === 'extended' ? 'ext' : 'acct';
      const strings = rowParser.strings;
      for (let i = 0; i < c.kinds.length; i++) {
        const kind = c.kinds[i]!;
        index = c.rowsDone[i]!;
        const u = c.users[i]!;
        let userId = u < 0 ? null : c.userNames[u]!;
        let text = c.text;
        let start = i === 0 ? 0 : c.lineEnds[i - 1]!;
        let end = c.lineEnds[i]!;
        if (userId === null) {
          userId = fallbackUser();
          if (kind === ROW_NEEDS_USER) continue;
          text = Buffer.from(
            Buffer.from(text.buffer, text.byteOffset + start, end - start)
              .toString('utf8')
              .replace(USER_PLACEHOLDER_JSON, `"user_id":${JSON.stringify(userId)}`),
            'utf8',
          );
          [start, end] = [0, text.length];
        }
        const t = c.times[i]!;
        if (t < first) first = t;
        if (t > last) last = t;
        if (src.kind === 'extended') exportUsers.add(userId);
        const sink = sinks.get(userId) ?? (await sinkOf(userId));
        const ds = kind === ROW_TRACK ? sink.tracks : sink.episodes;
        const id = c.ids[i]!;
        const play: PlayKey = {
          t,
          id: id < 0 ? null : strings[id]!,
          name: strings[c.names[i]!]!,
          src: source,
        };
        if (
          ds.pending.has(play) ||
          inAny(ds.committing, play) ||
          (ds.ledger.hasLoaded(play) ?? (await ds.ledger.has(play)))
        ) {
          if (kind === ROW_TRACK) report.plays_already_present++;
          else report.episodes_already_present++;
          continue;
        }
        ds.pending.add(play);
        ds.rows.push(t, text, start, end, text === c.text ? owner : undefined);
        ds.keys.push(play);
        if (++inBatch >= batchRows) {
          await commitBatch(key, { file: src.display, rows_done: index, complete: false }, entry, 'failed');
        }
      }
    };

    for (const [fileIndex, src] of found.files.entries()) {
      let identity: string;
      try {
        identity = await src.identity();
      } catch (err) {
        throw new PipelineError(
          `${src.display}: cannot be read (${errorMessage(err)}). Nothing of this file was written; check that it is readable and run the import again.`,
          1,
          { cause: err },
        );
      }
      const key = ImportCheckpoint.keyOf(identity, { minMsPlayed, user: fallback ?? '' });
      // The next file's identity (a read of it whole) is computed while this one is parsed; a failure
      // surfaces when its turn comes.
      found.files[fileIndex + 1]?.identity().catch(() => {});
      const prior = checkpoint.get(key);
      progress.currentFile = src.name;
      if (prior?.complete) {
        report.resumed = true;
        report.rows_already_imported += prior.rows_done;
        report.files.push({
          file: src.display,
          kind: src.kind,
          rows: prior.rows_done,
          status: 'already_imported',
        });
        progress.filesDone++;
        progress.bytesDone += src.size;
        options.onProgress?.(progress);
        runLog.info({ file: src.display }, 'already imported by an earlier run: skipped');
        continue;
      }
      const skipRows = prior?.rows_done ?? 0;
      if (skipRows > 0) report.resumed = true;
      // Listed now, in file order, as what the lake holds of it so far; its commits update it.
      const entry: ImportedFile = { file: src.display, kind: src.kind, rows: skipRows, status: 'failed' };
      report.files.push(entry);
      // A plain file the parser thread reads itself; a zip entry is streamed to it from here.
      const stream = src.path === undefined ? await src.open() : undefined;
      index = 0;
      try {
        const slices = rowParser.parse(
          stream ? { stream } : { file: src.path! },
          { kind: src.kind, skipRows, minMsPlayed, ingestedAt },
          (n) => (progress.bytesDone += n),
        );
        for (;;) {
          const next = await slices.next();
          if (next.done) {
            index = next.value;
            break;
          }
          const slice = next.value;
          report.rows_already_imported += slice.alreadyImported;
          report.rows_read += slice.read;
          progress.rowsRead += slice.read;
          for (const [reason, n] of Object.entries(slice.skipped) as [ImportSkipReason, number][]) {
            report.skipped_by_reason[reason] = (report.skipped_by_reason[reason] ?? 0) + n;
            report.rows_skipped += n;
          }
          for (const bad of slice.invalid) {
            if (report.invalid_examples.length >= MAX_INVALID_EXAMPLES) break;
            report.invalid_examples.push({ file: src.display, ...bad });
          }
          report.invalid_utf8_rows += slice.invalidUtf8Rows;
          for (const index of slice.invalidUtf8Examples) {
            if (report.invalid_utf8_examples.length >= MAX_INVALID_EXAMPLES) break;
            report.invalid_utf8_examples.push({ file: src.display, index });
          }
          const c = slice.rows;
          // The slice's lines buffer goes back to the parser once this loop and every batch row using it are done.
          const owner: SliceLines = { buffer: c.text.buffer as ArrayBuffer, refs: 1 };
          await admitRows(c, src, key, owner, entry);
          if (--owner.refs === 0) rowParser.recycle([owner.buffer]);
          options.onProgress?.(progress);
        }
      } catch (err) {
        stream?.destroy();
        await inflight; // what was committed before the problem is complete: let it finish
        if (err instanceof RowParseError && err.kind === 'not_history') {
          throw new PipelineError(
            `${src.display}: is not a Spotify streaming history (its rows lack ${src.kind === 'extended' ? '"ts" and "ms_played"' : '"endTime" and "msPlayed"'}). Nothing of it was written; remove it from the command line.`,
            1,
          );
        }
        if (err instanceof RowParseError && err.kind === 'json') {
          throw new PipelineError(
            `${src.display}: ${err.message}. ${
              index > batchRows
                ? `The first rows of this file were committed in complete batches before the problem showed; fix or replace the file and run the import again to resume from there.`
                : `Nothing of this file was written; fix or replace it (download the export again) and run the import again.`
            }`,
            1,
            { cause: err },
          );
        }
        if (err instanceof ParserThreadError) {
          throw new PipelineError(
            `${src.display}: ${err.message}. Nothing of this file was written; check that the installation is complete (npm ci) and run the import again.`,
            1,
            { cause: err },
          );
        }
        if (isStreamError(err)) {
          throw new PipelineError(
            `${src.display}: cannot be read (${errorMessage(err)}): the file or archive is corrupt. Nothing of this file was written; download the export again.`,
            1,
            { cause: err },
          );
        }
        throw err;
      }
      await commitBatch(
        key,
        { file: src.display, rows_done: index, complete: true },
        entry,
        skipRows > 0 ? 'resumed' : 'imported',
      );
      report.files_read++;
      progress.filesDone++;
      options.onProgress?.(progress);
      runLog.info({ file: src.display, rows: index, resumedFrom: skipRows || undefined }, 'file imported');
    }
    await inflight;
    if (Number.isFinite(first)) {
      report.date_range = { first: new Date(first).toISOString(), last: new Date(last).toISOString() };
    }
    if (enricher) report.enrich = enricher.stats;
    if (report.invalid_utf8_rows > 0)
      runLog.warn(
        { rows: report.invalid_utf8_rows, examples: report.invalid_utf8_examples },
        'rows with invalid UTF-8 were imported with U+FFFD in place of the bad bytes',
      );
    runLog.debug(
      { collections: memory.collections, ms: Math.round(memory.collectionMs) },
      'garbage collections run to keep memory in budget',
    );
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    report.outcome = err.exitCode === ExitCode.authRequired ? 'auth_required' : 'failed';
    report.exit_code = err.exitCode;
    report.error = err.message;
  } finally {
    // Never leave a commit running behind a failure: the lock must outlive it.
    await inflight?.catch(() => {});
    close();
    await parser?.close();
    await compressor?.close();
    await customFields?.close();
    await writer?.release();
  }
  const finished = new Date();
  report.finished_at = finished.toISOString();
  report.duration_ms = finished.getTime() - started.getTime();
  try {
    const { objects: _objects, ignored_files: _ignored, files: _files, ...summary } = report;
    await appendRunHistory(writer?.state ?? (await openStateStore(config)), {
      ...summary,
      // The collector's names, so `stats` reads imports and collections alike.
      plays_fetched: report.rows_read,
      plays_new: report.rows_written,
      plays_skipped: report.rows_skipped,
      files_written: report.objects_written,
      error: report.error,
    });
  } catch (err) {
    runLog.warn({ err: errorMessage(err) }, 'could not append to the run history');
  }
  emitRunMetrics(config, report);
  runLog.info(
    {
      outcome: report.outcome,
      durationMs: report.duration_ms,
      rowsRead: report.rows_read,
      written: report.rows_written,
      episodes: report.episodes_written,
      alreadyPresent: report.plays_already_present,
      objects: report.objects_written,
    },
    'import finished',
  );
  return report;
}

async function datasetSink(
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
  const committer = new LakeCommitter({
    state: writer.state,
    userId,
    store,
    ledger,
    log,
    onObjectWritten,
    guard: () => writer.lease.assertHeld(),
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

interface Detached {
  ds: DatasetSink;
  rows: LineBatch;
  keys: PlayKey[];
  index: PlaySet;
  objects?: PreparedObject[];
}

/** Takes the batch out of the sink for committing; its plays stay visible to lookups until committed. */
function detach(ds: DatasetSink): Detached {
  const batch = { ds, rows: ds.rows, keys: ds.keys, index: ds.pending };
  ds.rows = new LineBatch();
  ds.keys = [];
  ds.pending = new PlaySet();
  ds.committing.push(batch.index);
  return batch;
}

function inAny(indexes: readonly PlaySet[], play: PlayKey): boolean {
  for (const index of indexes) if (index.has(play)) return true;
  return false;
}

/** Compresses the batch's dates into objects. */
async function prepare(batch: Detached, parser: RowParser, gzip: GzipThread): Promise<void> {
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

function transactionsOf(batches: Detached[]): { committer: LakeCommitter; tx: LakeTransaction }[] {
  return batches.map(({ ds, keys, objects }) => ({
    committer: ds.committer,
    tx: { objects: objects ?? [], plays: keys },
  }));
}

/** Books a committed batch: the report, and its plays out of the in-flight sets (the ledger holds them now). */
function finishPrepared(batches: Detached[], results: CommitResult[], report: ImportReport): number[] {
  return batches.map(({ ds, keys, index }, i) => {
    record(report, results[i]!.writes);
    ds.committing.splice(ds.committing.indexOf(index), 1);
    // An export is in time order: the next batch starts in the months this one ended in. A few months of
    // one account are a few MB, so memory stays bounded whatever the export size.
    ds.ledger.releaseClean([], LEDGER_MONTHS_KEPT);
    return keys.length;
  });
}

function record(report: ImportReport, writes: ObjectWrite[]) {
  for (const w of writes) {
    report.objects_written++;
    report.bytes_written += w.bytes;
    report.objects.push(w.key);
  }
}

/** Errors of the byte stream itself (inflate of a corrupt zip entry, entry size mismatch, I/O). */
function isStreamError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof PipelineError) return false;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('Z_') || code.startsWith('E') || /zip|inflate|size|crc|invalid/i.test(err.message);
}

async function openEnricher(
  config: Config,
  state: StateStore,
  log: Logger,
  userId: string | undefined,
): Promise<TrackEnricher> {
  const { SpotifyHttp } = await import('../spotify/http-client.js');
  const { connectAccounts } = await import('../spotify/accounts.js');
  const { TrackEnricher, TrackMetadataCache } = await import('./track-enricher.js');
  const http = new SpotifyHttp(config.spotify, log);
  const connected = await connectAccounts(config, http, log);
  const chosen = connected.find((c) => c.session.userId === userId) ?? connected[0]!;
  return new TrackEnricher(chosen.api, await TrackMetadataCache.open(state), log);
}
