import { randomUUID } from 'node:crypto';
import { describeLake, type Config } from '../config.js';
import { ExitCode, PipelineError } from '../errors.js';
import { tracksDataset } from '../lake/layout.js';
import { sweepOrphanTemps } from '../lake/local-store.js';
import { chainHooks } from '../lake/object-written-hooks.js';
import type { ObjectStore } from '../lake/object-store.js';
import { openObjectStore } from '../lake/open-store.js';
import type { Logger } from '../log.js';
import { EPISODE_DATASET_PREFIX, EPISODE_FILE_PREFIX } from '../record/episode-schema.js';
import { tokenStore } from '../spotify/open-token-store.js';
import type { StateStore } from '../state/state-store.js';
import { configuredObjectHooks, openWriterSession, type WriterSession } from '../commit/index.js';
import { pausePoint } from '../util/pause-point.js';
import { cooperateOnStop, throwIfStopRequested } from '../util/stop-request.js';
import { BatchPipeline } from './batch-pipeline.js';
import type { SliceLines } from '../lake/build-objects.js';
import { discoverExport } from './export-sources.js';
import { ExportUsers } from './export-users.js';
import { GzipThread, MemoryGuard, RowParser } from './engine/index.js';
import { openCustomFields, type CustomFields } from '../custom-fields/custom-fields.js';
import { ImportCheckpoint } from './import-checkpoint.js';
import { fileFailure, unreadableFile } from './import-failures.js';
import {
  countSlice,
  newImportReport,
  publishImportReport,
  type ImportedFile,
  type ImportReport,
} from './import-report.js';
import { DatasetSink, type UserSink } from './import-sinks.js';
import { RowAdmitter } from './admit-rows.js';
import type { TrackEnricher } from './track-enricher.js';

export type { ImportedFile, ImportReport } from './import-report.js';

export const DEFAULT_MIN_MS_PLAYED = 30_000;
/** Rows held in memory before a commit: a typical export file (~16,000 rows) is one batch. */
export const DEFAULT_BATCH_ROWS = 20_000;
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

/**
 * Imports a privacy-data export into the lake, exactly once: find the history files → read and map their
 * rows (parser thread: parse-worker.ts, map-rows.ts) → deduplicate against the ledger and this run's batches
 * → write day objects → commit (batch-pipeline.ts) → report. Files are read as streams (Extended history
 * first) and committed in batches of whole files (bigger files in chunks of `batchRows`) through the same
 * outbox → write-once objects → ledger protocol as the collector, so a crash loses at most the batch in
 * flight; a checkpoint of committed rows per file lets a rerun resume instead of starting over.
 */
export async function runImport(config: Config, log: Logger, options: ImportOptions): Promise<ImportReport> {
  const started = new Date();
  const now = options.now ?? (() => new Date());
  const runLog = log.child({ command: 'import' });
  const minMsPlayed = options.minMsPlayed ?? DEFAULT_MIN_MS_PLAYED;
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const report = newImportReport(randomUUID(), describeLake(config.storage), started);

  let writer: WriterSession | undefined;
  let close = () => {};
  let parser: RowParser | undefined;
  let compressor: GzipThread | undefined;
  let customFields: CustomFields | undefined;
  let pipeline: BatchPipeline | undefined;
  // SIGINT/SIGTERM: stop after the slice being read (batches already handed over are committed first), release
  // the lease, exit 130/143; the checkpoint lets the next run resume there.
  const endCooperation = cooperateOnStop(
    runLog,
    'stop requested: committing the batches in flight, then releasing the lease',
  );
  try {
    // 1. Find the history files.
    const found = await discoverExport(options.paths);
    close = found.close;
    // Taken once the export is known to be readable: a bad path or file touches nothing in the lake.
    writer = await openWriterSession(config, runLog, 'import');
    const session = writer;
    await sweepOrphanTemps(config.storage, runLog); // under the lake's lease, before any write
    report.files_found = {
      extended: found.files.filter((f) => f.kind === 'extended').length,
      account_data: found.files.filter((f) => f.kind !== 'extended').length,
      ignored: found.ignored.length,
    };
    report.ignored_files = found.ignored;
    runLog.info(
      { ...report.files_found, files: found.files.map((f) => f.display) },
      'found listening history in the export',
    );

    const users = new ExportUsers(options.user, await (await tokenStore(config)).list());
    const store = options.store ?? (await openObjectStore(config.storage));
    const hook = chainHooks(await configuredObjectHooks(config, runLog));
    const enricher = options.enrich
      ? await openEnricher(config, session.state, runLog, users.fallback)
      : undefined;
    // Under the lease, before any write: new custom fields are recorded in the lake first.
    customFields = await openCustomFields(config, runLog);
    const checkpoint = await ImportCheckpoint.open(session.state);
    const ingestedAt = now().toISOString();
    const rowParser = new RowParser();
    parser = rowParser;
    const gzip = new GzipThread();
    compressor = gzip;
    const memory = new MemoryGuard(MEMORY_BUDGET_BYTES, MEMORY_HARD_BUDGET_BYTES);

    const sinks = new Map<string, UserSink>();
    const sinkOf = async (userId: string): Promise<UserSink> => {
      const sink: UserSink = {
        tracks: DatasetSink.open(
          session,
          store,
          runLog,
          userId,
          'track',
          tracksDataset(config.storage.prefix),
          hook,
        ),
        episodes: DatasetSink.open(
          session,
          store,
          runLog,
          userId,
          'episode',
          { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX },
          hook,
        ),
      };
      // What an interrupted run left in the outbox is finished before anything new is written.
      await sink.tracks.recover(report);
      await sink.episodes.recover(report);
      sinks.set(userId, sink);
      report.users.push(userId);
      return sink;
    };
    const batches = new BatchPipeline(sinks, {
      parser: rowParser,
      gzip,
      checkpoint,
      memory,
      report,
      finish: { enricher, customFields },
    });
    pipeline = batches;

    const progress: ImportProgress = {
      filesTotal: found.files.length,
      filesDone: 0,
      bytesTotal: found.files.reduce((n, f) => n + f.size, 0),
      bytesDone: 0,
      rowsRead: 0,
      currentFile: '',
    };
    const admitter = new RowAdmitter({ users, sinks, sinkOf, report, batches, batchRows, parser: rowParser });

    for (const [fileIndex, src] of found.files.entries()) {
      if (fileIndex > 0) await pausePoint('import-between-files');
      throwIfStopRequested(`before reading ${src.display}`);
      let identity: string;
      try {
        identity = await src.identity();
      } catch (err) {
        throw unreadableFile(src, err);
      }
      const key = ImportCheckpoint.keyOf(identity, { minMsPlayed, user: users.fallback ?? '' });
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
          what: src.what,
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
      const entry: ImportedFile = {
        file: src.display,
        kind: src.kind,
        what: src.what,
        rows: skipRows,
        status: 'failed',
      };
      report.files.push(entry);
      // 2-3. Read and map the rows: a plain file the parser thread reads itself; a zip entry is streamed to it.
      const stream = src.path === undefined ? await src.open() : undefined;
      admitter.beginFile(src, key, entry, prior?.user);
      try {
        const slices = rowParser.parse(
          stream ? { stream } : { file: src.path! },
          { kind: src.kind, skipRows, minMsPlayed, ingestedAt },
          (n) => (progress.bytesDone += n),
        );
        for (;;) {
          const next = await slices.next();
          if (next.done) {
            await admitter.endFile(next.value);
            break;
          }
          const slice = next.value;
          countSlice(report, slice, src.display);
          progress.rowsRead += slice.read;
          const c = slice.rows;
          // The slice's lines buffer goes back to the parser once this loop and every batch row using it are done.
          const owner: SliceLines = { buffer: c.text.buffer as ArrayBuffer, refs: 1 };
          await admitter.admit(c, owner);
          if (--owner.refs === 0) rowParser.recycle([owner.buffer]);
          options.onProgress?.(progress);
          // A safe point: rows of an uncommitted batch are read again by the next run (the checkpoint counts
          // only committed rows).
          throwIfStopRequested(`while reading ${src.display}`);
        }
      } catch (err) {
        stream?.destroy();
        await batches.drain(); // what was committed before the problem is complete: let it finish
        throw fileFailure(src, err, admitter.index, batchRows);
      }
      // 5-6. Write the file's last day objects and commit them.
      await batches.commit(key, admitter.progress(true), entry, skipRows > 0 ? 'resumed' : 'imported');
      report.files_read++;
      progress.filesDone++;
      options.onProgress?.(progress);
      runLog.info(
        { file: src.display, rows: admitter.index, resumedFrom: skipRows || undefined },
        'file imported',
      );
    }
    await batches.drain();
    report.date_range = admitter.dateRange();
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
    await pipeline?.settle();
    close();
    await parser?.close();
    await compressor?.close();
    await customFields?.close();
    await writer?.release();
    endCooperation();
  }
  // 7. Report.
  await publishImportReport(config, writer?.state, runLog, report, started);
  return report;
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
