import { randomUUID } from 'node:crypto';
import { describeLake, type Config } from '../config.js';
import { AuthRequiredError, ExitCode, PipelineError, type ExitCodeValue } from '../errors.js';
import { sweepOrphanTemps } from '../lake/local-store.js';
import { openObjectStore } from '../lake/open-store.js';
import { chainHooks } from '../lake/object-written-hooks.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { connectAccounts, type ConnectedAccount } from '../spotify/accounts.js';
import { SpotifyHttp, type RequestHooks } from '../spotify/http-client.js';
import type { RateLimiter } from '../spotify/rate-limiter.js';
import {
  configuredObjectHooks,
  type ObjectWrite,
  openWriterSession,
  type WriterSession,
} from '../commit/index.js';
import { finishRun } from '../runs/finish-run.js';
import {
  collectionRecord,
  type AccountOutcome,
  type PlayerTally,
  type RunSummary,
} from './collection-record.js';
import { openCustomFields, type CustomFields } from '../custom-fields/custom-fields.js';
import { TransformError } from '../custom-fields/transform-runner.js';
import { cooperateOnStop, stopRequested, StoppedError } from '../util/stop-request.js';
import { collectAccount, type AccountCollection } from './collect-account.js';

export type { AccountOutcome, RunSummary } from './collection-record.js';

export interface RunCollectionOptions {
  command: string;
  account?: string;
  sinceMs?: number;
  /** One rate limiter for every Spotify client of the process (run-continuous: collections and the player). */
  limiter?: RateLimiter;
  /** What the player did since the previous collection (run-continuous): it goes into this run's record. */
  playerTally?: () => PlayerTally;
  /** Reuse an open store and hooks across ticks (run-continuous). */
  store?: ObjectStore;
  hooks?: RequestHooks & { onObjectWritten?: (write: ObjectWrite) => void | Promise<void> };
  /** The caller's hold on the state and the lake's lease (run-continuous); by default the run opens its own. */
  writer?: WriterSession;
  /** The run id to use (run-continuous logs it before the run starts); a new one by default. */
  runId?: string;
  /** Called with each account's result as soon as it is known. */
  onAccount?: (result: AccountCollection | null, outcome: AccountOutcome) => void;
  /**
   * Stop between accounts on SIGINT/SIGTERM (run-once, backfill): the account in flight finishes, the lease is
   * released, the exit code is 130/143. run-continuous leaves this off: it finishes the whole collection.
   */
  stopBetweenAccounts?: boolean;
}

function emptyOutcome(userId: string): AccountOutcome {
  return {
    user_id: userId,
    outcome: 'ok',
    plays_fetched: 0,
    plays_new: 0,
    plays_already_present: 0,
    plays_skipped: 0,
    skipped_by_reason: {},
    plays_recovered: 0,
    plays_queued: 0,
    possible_gap: false,
    files_written: 0,
    bytes_written: 0,
    newest_played_at: null,
  };
}

/**
 * One collection cycle over every connected account. An account that fails (for instance one whose
 * refresh token died) is reported and the others still collect; the exit code says the worst that happened.
 */
export async function runCollection(
  config: Config,
  log: Logger,
  options: RunCollectionOptions,
): Promise<RunSummary> {
  const started = new Date();
  const runId = options.runId ?? randomUUID();
  const runLog = log.child({ runId, command: options.command });
  const http = new SpotifyHttp(config.spotify, runLog, options.hooks, options.limiter);
  const accounts: AccountOutcome[] = [];
  const writes: ObjectWrite[] = [];
  const errors: string[] = [];
  let topLevel: PipelineError | undefined;
  // A SPOTIFY_REFRESH_TOKEN that failed while other accounts collected: reported, and it sets the exit code.
  const seedProblems: PipelineError[] = [];
  let ownWriter: WriterSession | undefined;
  const endCooperation = options.stopBetweenAccounts
    ? cooperateOnStop(runLog, 'stop requested: finishing the account in flight, then releasing the lease')
    : undefined;
  try {
    if (!options.writer)
      ownWriter = await openWriterSession(config, runLog, options.command, { degraded: true });
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    topLevel = err;
  }
  const writer = options.writer ?? ownWriter;
  // Opened once per run, and only when an account has new plays: a quiet run starts no transform thread.
  let customFields: Promise<CustomFields | undefined> | undefined;
  const openFields = () => (customFields ??= openCustomFields(config, runLog));
  let transformFailure: TransformError | undefined;
  try {
    // Under the lake's lease, before any write: no other writer can be staging these.
    if (writer && !writer.lease.lost) await sweepOrphanTemps(config.storage, runLog);
    let connected: ConnectedAccount[] = [];
    try {
      if (writer) {
        connected = await connectAccounts(config, http, runLog, options.account, (e) => seedProblems.push(e));
      }
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      topLevel = err;
    }
    const store = connected.length ? (options.store ?? (await openObjectStore(config.storage))) : undefined;
    const onObjectWritten = connected.length
      ? chainHooks(await configuredObjectHooks(config, runLog), options.hooks?.onObjectWritten)
      : undefined;
    for (const { session, api } of connected) {
      // The safe point: no account's collection is in flight, every write so far is committed.
      const signal = options.stopBetweenAccounts ? stopRequested() : null;
      if (signal) {
        topLevel = new StoppedError(signal, `before collecting account ${session.userId}`);
        break;
      }
      const outcome = emptyOutcome(session.userId);
      let result: AccountCollection | null = null;
      const accountLog = runLog.child({ account: session.userId });
      try {
        result = await collectAccount({
          config,
          userId: session.userId,
          api,
          store: store!,
          writer: writer!,
          log: accountLog,
          sinceMs: options.sinceMs,
          onObjectWritten,
          customFields: openFields,
        });
        Object.assign(outcome, {
          plays_fetched: result.fetched,
          plays_new: result.newPlays,
          plays_already_present: result.alreadyPresent,
          plays_skipped: Object.values(result.skipped).reduce((a, b) => a + b, 0),
          skipped_by_reason: result.skipped,
          plays_recovered: result.recovered,
          plays_queued: result.queuedPlays,
          possible_gap: result.possibleGap,
          files_written: result.writes.length,
          bytes_written: result.writes.reduce((n, w) => n + w.bytes, 0),
          newest_played_at: result.newestPlayedAt,
        });
        writes.push(...result.writes);
        if (result.failure) throw result.failure;
        accountLog.info(
          {
            fetched: result.fetched,
            new: result.newPlays,
            alreadyPresent: result.alreadyPresent,
            files: result.writes.length,
          },
          'account collected',
        );
      } catch (err) {
        if (!(err instanceof PipelineError)) throw err;
        if (err instanceof TransformError) transformFailure ??= err;
        // A retry wait cut short by SIGINT/SIGTERM: the run stops here, with the signal's exit code.
        if (err instanceof StoppedError) topLevel ??= err;
        outcome.outcome = err instanceof AuthRequiredError ? 'auth_required' : 'failed';
        outcome.error = err.message;
        errors.push(`${session.userId}: ${err.message}`);
        accountLog.error({ err: err.message, outcome: outcome.outcome }, 'account collection failed');
      }
      accounts.push(outcome);
      options.onAccount?.(result, outcome);
    }
  } finally {
    await (await customFields?.catch(() => undefined))?.close();
    await ownWriter?.release();
    endCooperation?.();
  }

  if (topLevel) errors.unshift(topLevel.message);
  errors.unshift(...seedProblems.map((e) => e.message));
  const worst: ExitCodeValue = topLevel
    ? topLevel.exitCode
    : transformFailure
      ? transformFailure.exitCode
      : seedProblems.some((e) => e instanceof AuthRequiredError) ||
          accounts.some((a) => a.outcome === 'auth_required')
        ? ExitCode.authRequired
        : seedProblems.length > 0 || accounts.some((a) => a.outcome === 'failed')
          ? ExitCode.failed
          : ExitCode.ok;
  const finished = new Date();
  const sum = (f: (a: AccountOutcome) => number) => accounts.reduce((n, a) => n + f(a), 0);
  const summary: RunSummary = {
    run_id: runId,
    command: options.command,
    outcome: worst === ExitCode.ok ? 'ok' : worst === ExitCode.authRequired ? 'auth_required' : 'failed',
    exit_code: worst,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - started.getTime(),
    lake: describeLake(config.storage),
    plays_fetched: sum((a) => a.plays_fetched),
    plays_new: sum((a) => a.plays_new),
    plays_already_present: sum((a) => a.plays_already_present),
    plays_skipped: sum((a) => a.plays_skipped),
    possible_gaps: sum((a) => (a.possible_gap ? 1 : 0)),
    files_written: writes.length,
    bytes_written: writes.reduce((n, w) => n + w.bytes, 0),
    files: writes.map((w) => w.key),
    api_requests: http.stats.requests,
    retries: http.stats.retries,
    rate_limited: http.stats.rateLimited,
    rate_limit_wait_ms: http.stats.rateLimitWaitMs,
    accounts,
    errors,
  };
  await finishRun(config, writer?.state, runLog, collectionRecord(summary, options.playerTally?.()));
  return summary;
}
