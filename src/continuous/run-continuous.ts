import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { ExitCode, errorMessage, type ExitCodeValue } from '../errors.js';
import { openObjectStore } from '../lake/open-store.js';
import type { Logger } from '../log.js';
import { evaluateHealth, type HealthState } from '../metrics/health.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js';
import { PipelineMetrics } from '../metrics/pipeline-metrics.js';
import { tokenStore } from '../spotify/open-token-store.js';
import { refreshTokenExpiry } from '../spotify/token-store.js';
import {
  configuredObjectHooks,
  openWriterSession,
  readUserMeta,
  type WriterSession,
} from '../commit/index.js';
import { readRunHistory } from '../runs/run-history.js';
import { loadHistoryRollup } from '../runs/rollup-store.js';
import { finishRun } from '../runs/finish-run.js';
import { crashedRunRecord } from '../runs/run-record.js';
import { runCollection, type RunSummary } from '../collect/run-collection.js';
import type { PlayerTally } from '../collect/collection-record.js';
import { PlayerWatcher } from '../player/player-watcher.js';
import { playerSettings } from '../player/player-settings.js';
import { RateLimiter } from '../spotify/rate-limiter.js';
import { chainHooks } from '../lake/object-written-hooks.js';
import { nextInterval } from './adaptive-interval.js';
import { formatDuration } from './duration.js';
import { jitterMs, retryDelayMs, type Schedule } from './schedule.js';
import { ShutdownSignal, sleepUntil } from './shutdown.js';

export const COMMAND = 'run-continuous';
/** Commands whose history lines are collections from the API (for the last success at start-up). */
const COLLECTION_COMMANDS = new Set(['run-once', 'run-continuous', 'backfill']);
const LOGIN_FIX =
  'run `spotify-pipeline auth login` on a machine with a browser (or set a new SPOTIFY_REFRESH_TOKEN); the other accounts keep collecting';

export interface ContinuousOptions {
  schedule: Schedule;
  adaptive: { enabled: boolean; floorMs: number };
  account?: string;
  metrics?: { host: string; port: number };
  /** How long a stop request waits for the collection in flight. */
  shutdownTimeoutMs: number;
  /** Called once the loop runs (tests and the metrics URL). */
  onReady?: (info: { metricsUrl?: string }) => void;
}

interface Tick {
  summary?: RunSummary;
  /** A failure worth retrying soon (network, 5xx, lake unreachable, an unexpected error). */
  transient: boolean;
  /** A failure that waiting will not fix (configuration): stop. */
  fatal?: ExitCodeValue;
}

/**
 * Collects at once, then on the schedule, until SIGINT/SIGTERM. One collection at a time (the loop
 * awaits each one), the STATE_DIR lock held for the whole life of the process.
 */
export async function runContinuous(
  config: Config,
  log: Logger,
  options: ContinuousOptions,
): Promise<ExitCodeValue> {
  // Checked before anything starts: a wrong PLAYER_POLL_SECONDS is a configuration error (exit 2).
  const player = playerSettings(config.raw);
  // Before the lease is taken: a signal while it is being taken stops the process cleanly too (lease released).
  const shutdown = new ShutdownSignal(log);
  let writer: WriterSession = await openWriterSession(config, log, COMMAND, { degraded: true }).catch(
    (err: unknown) => {
      shutdown.dispose();
      throw err;
    },
  );
  const processLog = log.child({ command: COMMAND, session: randomUUID() });
  let server: MetricsServer | undefined;
  let keepLock = false;
  let watcher: PlayerWatcher | undefined;
  try {
    const { schedule } = options;
    const store = await openObjectStore(config.storage);
    const metrics = new PipelineMetrics();
    const health: HealthState = {
      periodMs: schedule.periodMs,
      lastSuccessAt: null,
      lastOutcome: null,
      lastError: null,
      lastFinishedAt: null,
    };
    await seedFromState(config, writer, metrics, health, processLog);
    if (options.metrics) {
      server = await startMetricsServer({
        ...options.metrics,
        metrics,
        health: () => evaluateHealth(health, Date.now()),
      });
      processLog.info(
        { url: server.url },
        `metrics on ${server.url}/metrics, health on ${server.url}/healthz`,
      );
    }
    let intervalMs = schedule.periodMs;
    metrics.pollInterval.set(intervalMs / 1000);
    // Adaptive polling never goes below the shorter of the interval and its floor: with --interval 30s and the
    // 1m floor it cannot shorten anything, and the log says so rather than naming two contradicting figures.
    const floorMs = Math.min(options.adaptive.floorMs, schedule.periodMs);
    const canShorten = options.adaptive.enabled && floorMs < schedule.periodMs;
    const adaptiveText = !options.adaptive.enabled
      ? ' (adaptive polling off)'
      : canShorten
        ? `, and as often as every ${formatDuration(floorMs)} while you listen a lot (adaptive polling; --min-interval / MIN_FETCH_INTERVAL)`
        : ` (adaptive polling cannot poll sooner: ${formatDuration(schedule.periodMs)} is already no longer than its shortest interval, ${formatDuration(options.adaptive.floorMs)}, --min-interval / MIN_FETCH_INTERVAL)`;
    processLog.info(
      {
        schedule: schedule.description,
        adaptive: canShorten,
        ...(canShorten ? { floorMs } : {}),
        pid: process.pid,
      },
      `collecting ${schedule.description}${adaptiveText}; stop with SIGINT/SIGTERM`,
    );
    options.onReady?.({ metricsUrl: server?.url });

    const hooks = {
      onResponse: (endpoint: string, status: number, ms: number) => metrics.onResponse(endpoint, status, ms),
      onRateLimited: (endpoint: string, waitMs: number) => metrics.onRateLimited(endpoint, waitMs),
      onObjectWritten: (write: Parameters<PipelineMetrics['onObjectWritten']>[0]) =>
        metrics.onObjectWritten(write),
    };

    // One limiter for the collections and the player: Spotify's rate window (and a 429's wait) is the app's.
    const limiter = new RateLimiter(config.spotify.rateLimitPerMinute);
    // The player's work between two collections, in the next collection's run record.
    let playerSince: PlayerTally = { polls: 0, plays: {}, files: 0, bytes: 0 };
    const takePlayerTally = () => {
      const taken = playerSince;
      playerSince = { polls: 0, plays: {}, files: 0, bytes: 0 };
      return taken;
    };
    if (player.pollMs > 0) {
      watcher = new PlayerWatcher({
        config,
        log: processLog.child({ part: 'player' }),
        settings: player,
        limiter,
        hooks,
        account: options.account,
        store,
        onObjectWritten: chainHooks(
          await configuredObjectHooks(config, processLog),
          hooks.onObjectWritten,
          (write) => {
            if (write.outcome !== 'created') return;
            playerSince.files++;
            playerSince.bytes += write.bytes;
          },
        ),
        counters: {
          onPoll: (account, outcome) => {
            metrics.playerPolls.inc({ account, outcome });
            playerSince.polls++;
          },
          onPlays: (account, written, already, short) => {
            playerSince.plays[account] = (playerSince.plays[account] ?? 0) + written;
            if (written) metrics.playerPlays.inc({ account, outcome: 'written' }, written);
            if (already) metrics.playerPlays.inc({ account, outcome: 'already_present' }, already);
            if (short) metrics.playerPlays.inc({ account, outcome: 'too_short' }, short);
          },
        },
      });
      processLog.info(
        { pollSeconds: player.pollMs / 1000 },
        `reading the player every ${player.pollMs / 1000} s while something plays`,
      );
    }

    const collectOnce = async (): Promise<Tick> => {
      const runId = randomUUID();
      processLog.info({ runId, intervalMs }, 'collection starting');
      try {
        if (writer.lease.lost) {
          // The lease lapsed (the store was out of reach longer than its TTL): take it again, or fail this
          // tick and retry, as another writer may hold it now.
          await writer.release();
          writer = await openWriterSession(config, log, COMMAND, { degraded: true });
        }
        const summary = await runCollection(config, log, {
          runId,
          command: COMMAND,
          account: options.account,
          store,
          hooks,
          writer,
          limiter,
          playerTally: watcher ? takePlayerTally : undefined,
        });
        metrics.observeRun(summary);
        health.lastOutcome = summary.outcome;
        health.lastFinishedAt = Date.parse(summary.finished_at);
        health.lastError = summary.errors[0] ?? null;
        if (summary.outcome === 'ok') health.lastSuccessAt = health.lastFinishedAt;
        await noteRefreshTokens(config, metrics);
        // Keep the stats rollup current (it reads only the new line), so `stats` stays fast.
        await loadHistoryRollup(writer.state, { log: processLog }).catch(() => undefined);
        for (const a of summary.accounts.filter((x) => x.outcome === 'auth_required')) {
          processLog.error(
            { runId: summary.run_id, account: a.user_id, err: a.error, fix: LOGIN_FIX },
            `account ${a.user_id} needs a new Spotify login: ${LOGIN_FIX}`,
          );
        }
        if (summary.accounts.length === 0 && summary.outcome === 'auth_required') {
          processLog.error(
            { runId: summary.run_id, err: summary.errors[0] },
            'no Spotify account can collect',
          );
        }
        if (summary.exit_code === ExitCode.usage) return { summary, transient: false, fatal: ExitCode.usage };
        const transient =
          summary.outcome === 'failed' || summary.accounts.some((a) => a.outcome === 'failed');
        return { summary, transient };
      } catch (err) {
        // Not a PipelineError: a bug or an environment problem. Keep the process alive and retry.
        const message = errorMessage(err);
        processLog.error({ runId, err: (err as Error)?.stack ?? message }, 'collection crashed unexpectedly');
        const now = new Date();
        metrics.collections.inc({ outcome: 'failed' });
        health.lastOutcome = 'failed';
        health.lastFinishedAt = now.getTime();
        health.lastError = message;
        await finishRun(
          config,
          writer.state,
          processLog.child({ runId }),
          crashedRunRecord(runId, COMMAND, message, ExitCode.failed, now),
        );
        return { transient: true };
      }
    };

    let failures = 0;
    let nextAt = Date.now(); // the first collection starts at once
    while (!shutdown.requested) {
      await sleepUntil(Math.min(nextAt, watcher?.nextDueAt() ?? Infinity), shutdown.signal);
      if (shutdown.requested) break;
      if (watcher && Date.now() < nextAt) {
        // A player poll between collections, in the same loop: its commits never overlap a collection's.
        await watcher.tick(writer);
        continue;
      }
      const startedAt = Date.now();
      const inFlight = collectOnce();
      const first = await shutdown.until(inFlight);
      if (first === null) {
        processLog.info(
          { timeoutMs: options.shutdownTimeoutMs },
          'waiting for the collection in flight to finish before exiting',
        );
        const finished = await Promise.race([
          inFlight.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), options.shutdownTimeoutMs).unref()),
        ]);
        if (!finished) {
          processLog.error(
            { timeoutMs: options.shutdownTimeoutMs },
            'the collection in flight did not finish in time: exiting anyway; the next start finishes its write from the outbox (nothing is lost)',
          );
          // Keep the lock: the collection may still be writing until the process exits (the lock of a
          // dead PID is taken over by the next start).
          keepLock = true;
          return ExitCode.failed;
        }
        break;
      }
      const tick = first;
      if (tick.fatal !== undefined) {
        processLog.error(
          { err: tick.summary?.errors[0] },
          'stopping: this is a configuration problem that retrying will not fix',
        );
        return tick.fatal;
      }
      const now = Date.now();
      // Adapt to the accounts that did collect, even when another one failed (a failed poll says nothing).
      const ok = tick.summary?.accounts.filter((a) => a.outcome === 'ok') ?? [];
      if (options.adaptive.enabled && tick.summary && ok.length > 0) {
        const decision = nextInterval(
          intervalMs,
          {
            maxNewPlays: Math.max(0, ...ok.map((a) => a.plays_new)),
            possibleGap: ok.some((a) => a.possible_gap),
          },
          { baseMs: schedule.periodMs, floorMs: options.adaptive.floorMs, batchSize: config.batchSize },
        );
        if (decision.change !== 'unchanged') {
          processLog.info(
            { runId: tick.summary.run_id, fromMs: intervalMs, toMs: decision.ms, reason: decision.reason },
            `poll interval ${decision.change} to ${formatDuration(decision.ms)}: ${decision.reason}`,
          );
        }
        intervalMs = decision.ms;
        metrics.pollInterval.set(intervalMs / 1000);
      }
      if (tick.transient) {
        failures++;
        const delay = retryDelayMs(failures, intervalMs);
        nextAt = now + delay;
        processLog.warn(
          { consecutiveFailures: failures, retryInMs: delay, err: tick.summary?.errors[0] },
          `collection failed; retrying in ${formatDuration(delay)}`,
        );
        continue;
      }
      failures = 0;
      if (schedule.clockDriven) {
        // Cron: regular ticks from the clock; adaptive polling adds polls in between when busy.
        const regular = schedule.nextAfter(startedAt, now);
        nextAt =
          (intervalMs < schedule.periodMs ? Math.min(regular, now + intervalMs) : regular) +
          jitterMs(Math.min(intervalMs, schedule.periodMs));
      } else {
        nextAt = Math.max(now, startedAt + intervalMs) + jitterMs(intervalMs);
      }
      processLog.debug({ nextAt: new Date(nextAt).toISOString(), intervalMs }, 'next collection scheduled');
    }
    processLog.info('stopped cleanly');
    return ExitCode.ok;
  } finally {
    // The plays in progress are kept in the state: the next start resumes them (docs/player.md).
    if (watcher && !keepLock) await watcher.stop(writer);
    shutdown.dispose();
    await server?.close();
    if (!keepLock) await writer.release();
  }
}

/** What the metrics and health know before the first collection: from the history and STATE_DIR. */
async function seedFromState(
  config: Config,
  writer: WriterSession,
  metrics: PipelineMetrics,
  health: HealthState,
  log: Logger,
): Promise<void> {
  try {
    const history = await readRunHistory(writer.state);
    for (let i = history.length - 1; i >= 0; i--) {
      const run = history[i]!;
      if (COLLECTION_COMMANDS.has(run.command) && run.outcome === 'ok') {
        health.lastSuccessAt = Date.parse(run.finished_at);
        metrics.lastSuccess.set(health.lastSuccessAt / 1000);
        break;
      }
    }
    for (const account of await noteRefreshTokens(config, metrics)) {
      const meta = await readUserMeta(writer.state, account);
      metrics.noteNewestPlay(account, meta.api_newest_played_at);
    }
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'could not read earlier state for the metrics; starting from zero');
  }
}

async function noteRefreshTokens(config: Config, metrics: PipelineMetrics): Promise<string[]> {
  try {
    const accounts = await (await tokenStore(config)).list();
    for (const a of accounts) {
      metrics.refreshTokenExpiry.set({ account: a.user_id }, refreshTokenExpiry(a).getTime() / 1000);
    }
    return accounts.map((a) => a.user_id);
  } catch {
    return []; // a corrupt token file is reported by the collection itself
  }
}
