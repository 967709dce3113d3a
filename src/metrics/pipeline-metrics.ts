import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ObjectWrite } from '../commit/index.js';
import type { AccountRecord, RunRecord } from '../runs/run-record.js';

/** What the counters read of a collection's record (a RunSummary has it too). */
type ObservedRun = Pick<RunRecord, 'outcome' | 'duration_ms' | 'finished_at'> & {
  accounts: readonly Pick<
    AccountRecord,
    | 'user_id'
    | 'outcome'
    | 'plays_new'
    | 'plays_recovered'
    | 'plays_already_present'
    | 'possible_gap'
    | 'newest_played_at'
  >[];
};

const PREFIX = 'spotify_pipeline_';

/**
 * The collector's Prometheus metrics, in a registry of their own (never prom-client's global one, so
 * two instances in one process, as in tests, do not collide). Counters count since the process started.
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  private readonly newestPlayedAt = new Map<string, number>();
  private readonly now: () => number;

  readonly collections = new Counter({
    name: `${PREFIX}collections_total`,
    help: 'Collections (polls over all accounts) by outcome: ok, failed, auth_required.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly collectionDuration = new Histogram({
    name: `${PREFIX}collection_duration_seconds`,
    help: 'How long one collection took.',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly playsWritten = new Counter({
    name: `${PREFIX}plays_written_total`,
    help: 'Plays written to the lake, per account (including plays an interrupted run had queued).',
    labelNames: ['account'],
    registers: [this.registry],
  });
  readonly playsAlreadyPresent = new Counter({
    name: `${PREFIX}plays_already_present_total`,
    help: 'Plays the API listed that the lake already held, per account.',
    labelNames: ['account'],
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: `${PREFIX}api_requests_total`,
    help: 'HTTP requests to Spotify by endpoint and status (network_error when no response came).',
    labelNames: ['endpoint', 'status'],
    registers: [this.registry],
  });
  readonly apiRequestDuration = new Histogram({
    name: `${PREFIX}api_request_duration_seconds`,
    help: 'Duration of HTTP requests to Spotify by endpoint.',
    labelNames: ['endpoint'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: `${PREFIX}rate_limited_total`,
    help: 'HTTP 429 answers from Spotify by endpoint.',
    labelNames: ['endpoint'],
    registers: [this.registry],
  });
  readonly rateLimitWait = new Counter({
    name: `${PREFIX}rate_limit_wait_seconds_total`,
    help: 'Time spent waiting as Retry-After asked, by endpoint.',
    labelNames: ['endpoint'],
    registers: [this.registry],
  });
  readonly playerPolls = new Counter({
    name: `${PREFIX}player_polls_total`,
    help: 'Reads of the player (currently-playing) per account by outcome: playing, idle, failed.',
    labelNames: ['account', 'outcome'],
    registers: [this.registry],
  });
  readonly playerPlays = new Counter({
    name: `${PREFIX}player_plays_total`,
    help: 'Plays the player saw end, per account by outcome: written, already_present, too_short (under MIN_MS_PLAYED).',
    labelNames: ['account', 'outcome'],
    registers: [this.registry],
  });
  readonly objectWrites = new Counter({
    name: `${PREFIX}object_writes_total`,
    help: 'Lake object writes by outcome: created, or exists (finished for an interrupted run).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly bytesWritten = new Counter({
    name: `${PREFIX}bytes_written_total`,
    help: 'Bytes of lake objects created (gzip size).',
    registers: [this.registry],
  });
  readonly possibleGaps = new Counter({
    name: `${PREFIX}possible_gap_events_total`,
    help: 'Polls where a full page shared nothing with what was seen before: plays may have been missed.',
    labelNames: ['account'],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: `${PREFIX}last_success_timestamp_seconds`,
    help: 'Unix time the last successful collection finished (0: none yet).',
    registers: [this.registry],
  });
  readonly refreshTokenExpiry = new Gauge({
    name: `${PREFIX}refresh_token_expiry_timestamp_seconds`,
    help: 'Unix time each account’s refresh token expires (6 months after login); log in again before it.',
    labelNames: ['account'],
    registers: [this.registry],
  });
  readonly pollInterval = new Gauge({
    name: `${PREFIX}poll_interval_seconds`,
    help: 'The current poll interval after adaptive polling.',
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: `${PREFIX}account_up`,
    help: '1 when the account’s last collection succeeded, 0 when it failed or needs a new login.',
    labelNames: ['account'],
    registers: [this.registry],
  });

  constructor(options: { now?: () => number; defaultMetrics?: boolean } = {}) {
    this.now = options.now ?? Date.now;
    const newest = this.newestPlayedAt;
    const now = this.now;
    new Gauge({
      name: `${PREFIX}data_freshness_seconds`,
      help: 'Seconds since the newest played_at in the lake, per account (how old the newest play is).',
      labelNames: ['account'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [account, t] of newest) this.set({ account }, Math.max(0, (now() - t) / 1000));
      },
    });
    for (const outcome of ['ok', 'failed', 'auth_required']) this.collections.inc({ outcome }, 0);
    for (const outcome of ['created', 'exists']) this.objectWrites.inc({ outcome }, 0);
    this.bytesWritten.inc(0);
    this.lastSuccess.set(0);
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    }
  }

  /** The newest play of an account, as known at start (state) or from a collection. */
  noteNewestPlay(account: string, playedAt: string | null | undefined): void {
    const t = playedAt ? Date.parse(playedAt) : NaN;
    if (!Number.isFinite(t)) return;
    this.newestPlayedAt.set(account, Math.max(t, this.newestPlayedAt.get(account) ?? -Infinity));
  }

  onResponse(endpoint: string, status: number | string, durationMs: number): void {
    this.apiRequests.inc({ endpoint, status: status === 0 ? 'network_error' : String(status) });
    this.apiRequestDuration.observe({ endpoint }, durationMs / 1000);
  }

  onRateLimited(endpoint: string, waitMs: number): void {
    this.rateLimited.inc({ endpoint });
    this.rateLimitWait.inc({ endpoint }, waitMs / 1000);
  }

  onObjectWritten(write: ObjectWrite): void {
    this.objectWrites.inc({ outcome: write.outcome });
    if (write.outcome === 'created') this.bytesWritten.inc(write.bytes);
  }

  /** Folds one finished collection into the counters (the player's plays are counted as they are written). */
  observeRun(record: ObservedRun): void {
    this.collections.inc({ outcome: record.outcome });
    this.collectionDuration.observe(record.duration_ms / 1000);
    if (record.outcome === 'ok') this.lastSuccess.set(Date.parse(record.finished_at) / 1000);
    for (const a of record.accounts) {
      const account = a.user_id;
      this.up.set({ account }, a.outcome === 'ok' ? 1 : 0);
      if (a.outcome !== 'ok') continue;
      this.playsWritten.inc({ account }, a.plays_new + a.plays_recovered);
      this.playsAlreadyPresent.inc({ account }, a.plays_already_present);
      if (a.possible_gap) this.possibleGaps.inc({ account });
      this.noteNewestPlay(account, a.newest_played_at);
    }
  }
}
