import type { Config } from '../config.js';
import { PipelineError, errorMessage } from '../errors.js';
import { buildObjects } from '../lake/build-objects.js';
import { recordToJsonLine } from '../lake/encode.js';
import { tracksDataset, type Dataset } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { ObjectWrittenHook } from '../lake/object-written-hooks.js';
import type { Logger } from '../log.js';
import {
  EPISODE_DATASET_PREFIX,
  EPISODE_FILE_PREFIX,
  EPISODE_KEYS,
  type EpisodeRecord,
} from '../record/episode-schema.js';
import type { ListeningRecord } from '../record/schema.js';
import { connectAccounts, type ConnectedAccount } from '../spotify/accounts.js';
import { SpotifyHttp, type RequestHooks } from '../spotify/http-client.js';
import type { RateLimiter } from '../spotify/rate-limiter.js';
import { SpotifyApiError } from '../spotify/web-api.js';
import { readStateJson, writeStateJson } from '../state/json-file.js';
import { userStateKey } from '../state/state-store.js';
import { sessionCommitter, type PlayKey, type WriterSession } from '../commit/index.js';
import { observationOf } from './player-answer.js';
import { recordOfPlayerPlay } from './player-records.js';
import type { PlayerSettings } from './player-settings.js';
import { emptyTracker, observe, type PlayerPlay, type TrackerState } from './play-tracker.js';

/** The scopes that let an account read the player (either is enough). */
export const PLAYER_SCOPES = ['user-read-currently-playing', 'user-read-playback-state'];
/** Nothing has played for this long: poll at IDLE_POLL_MS. A new item is still counted from its start. */
const IDLE_AFTER_MS = 5 * 60_000;
const IDLE_POLL_MS = 60_000;
/** The stored accounts are read again this often (a new `auth login` joins without a restart). */
const ACCOUNTS_TTL_MS = 10 * 60_000;

const trackerKey = (userId: string) => userStateKey(userId, 'player.json');

interface AccountWatch {
  connected: ConnectedAccount;
  tracker: TrackerState;
  nextAt: number;
  lastActiveAt: number;
  /** Why the player is not read for this account (missing scope), or null. */
  off: string | null;
  /** The tracker as last stored, to write only changes of the play in progress. */
  stored: string;
}

export interface PlayerCounters {
  onPoll?: (account: string, outcome: 'playing' | 'idle' | 'failed') => void;
  onPlays?: (account: string, written: number, alreadyPresent: number, tooShort: number) => void;
}

export interface WatcherOptions {
  config: Config;
  log: Logger;
  settings: PlayerSettings;
  limiter: RateLimiter;
  hooks?: RequestHooks;
  account?: string;
  store: ObjectStore;
  onObjectWritten?: ObjectWrittenHook;
  counters?: PlayerCounters;
  now?: () => number;
}

/**
 * Reads each account's player between the collections of run-continuous (the caller runs it in the same loop,
 * so a player commit and a collection never overlap) and commits the plays it sees end, through the same
 * ledger and outbox as the collector: a play both see is written once, by whichever sees it first.
 */
export class PlayerWatcher {
  private readonly http: SpotifyHttp;
  private readonly now: () => number;
  private accounts = new Map<string, AccountWatch>();
  private accountsReadAt = -Infinity;

  constructor(private readonly options: WatcherOptions) {
    this.http = new SpotifyHttp(options.config.spotify, options.log, options.hooks, options.limiter);
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.settings.pollMs > 0;
  }

  /** When the next poll is due (Infinity: none, the player is off or no account can read it). */
  nextDueAt(): number {
    if (!this.enabled) return Infinity;
    if (this.now() - this.accountsReadAt >= ACCOUNTS_TTL_MS) return this.now();
    let next = Infinity;
    for (const a of this.accounts.values()) if (!a.off) next = Math.min(next, a.nextAt);
    return next;
  }

  /** Polls the accounts that are due and commits the plays that ended. Never throws for one account. */
  async tick(writer: WriterSession): Promise<void> {
    if (!this.enabled) return;
    // The player is a bonus next to recently-played: nothing here may stop run-continuous's loop.
    await this.refreshAccounts(writer).catch((err: unknown) =>
      this.options.log.warn({ err: errorMessage(err) }, 'could not read the accounts for the player'),
    );
    for (const [userId, watch] of this.accounts) {
      if (watch.off || watch.nextAt > this.now()) continue;
      await this.pollAccount(writer, userId, watch).catch((err: unknown) => {
        this.options.counters?.onPoll?.(userId, 'failed');
        watch.nextAt = this.now() + this.options.settings.pollMs * 3;
        this.options.log.warn(
          { account: userId, err: errorMessage(err) },
          'reading the player failed; retrying',
        );
      });
    }
  }

  /** Keeps each play in progress in the state: the next start resumes it (docs/player.md#restarts). */
  async stop(writer: WriterSession): Promise<void> {
    for (const [userId, watch] of this.accounts) {
      await this.saveTracker(writer, userId, watch, true).catch((err: unknown) =>
        this.options.log.warn(
          { account: userId, err: errorMessage(err) },
          'could not keep the play in progress',
        ),
      );
    }
  }

  private async refreshAccounts(writer: WriterSession): Promise<void> {
    if (this.now() - this.accountsReadAt < ACCOUNTS_TTL_MS) return;
    this.accountsReadAt = this.now();
    let connected: ConnectedAccount[];
    try {
      connected = await connectAccounts(
        this.options.config,
        this.http,
        this.options.log,
        this.options.account,
      );
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      return; // the collection reports accounts it cannot connect
    }
    const next = new Map<string, AccountWatch>();
    for (const c of connected) {
      const userId = c.session.userId;
      const known = this.accounts.get(userId);
      const scopes = c.session.current.scopes;
      // An empty list is a token whose scopes were never reported: try, and let a 403 decide.
      const off =
        scopes.length > 0 && !scopes.some((s) => PLAYER_SCOPES.includes(s))
          ? 'the login did not grant user-read-currently-playing'
          : null;
      if (off && !known?.off) {
        this.options.log.info(
          { account: userId },
          `not reading the player of ${userId}: ${off}; recently-played is still collected (\`auth login\` again to add it)`,
        );
      }
      const tracker =
        known?.tracker ??
        (await readStateJson(writer.state, trackerKey(userId), trackerState).catch((err: unknown) => {
          this.options.log.warn(
            { account: userId, err: errorMessage(err) },
            'the kept play in progress is unreadable: starting afresh',
          );
          return undefined;
        })) ??
        emptyTracker();
      next.set(userId, {
        connected: c,
        tracker,
        nextAt: known?.nextAt ?? this.now(),
        lastActiveAt: known?.lastActiveAt ?? this.now(),
        // Decided again at each read of the accounts: a new login (or a 403 that passed) turns it back on.
        off,
        stored: known?.stored ?? '',
      });
    }
    this.accounts = next;
  }

  private async pollAccount(writer: WriterSession, userId: string, watch: AccountWatch): Promise<void> {
    let answer: { status: number; body: unknown };
    try {
      answer = await watch.connected.api.getCurrentlyPlaying();
    } catch (err) {
      if (err instanceof SpotifyApiError && (err.status === 403 || err.status === 401)) {
        watch.off = `Spotify refused the player (HTTP ${err.status})`;
        this.options.log.info(
          { account: userId },
          `not reading the player of ${userId}: ${watch.off}; recently-played is still collected (\`auth login\` again to grant user-read-currently-playing)`,
        );
        return;
      }
      throw err;
    }
    const at = this.now();
    const o = observationOf(answer.status, answer.body, at);
    const r = observe(watch.tracker, o);
    const playing = o.kind === 'item' && o.isPlaying;
    if (playing) watch.lastActiveAt = at;
    this.options.counters?.onPoll?.(userId, playing ? 'playing' : 'idle');
    const idle = at - watch.lastActiveAt >= IDLE_AFTER_MS;
    watch.nextAt =
      at + (idle ? Math.max(IDLE_POLL_MS, this.options.settings.pollMs) : this.options.settings.pollMs);
    // The tracker moves on only once its ended plays are committed: a failed commit is redone next poll.
    await this.commitPlays(writer, userId, r.ended);
    watch.tracker = r.state;
    await this.saveTracker(writer, userId, watch);
  }

  /**
   * While running, only when the play in progress changed item or ended (one state write per play, not per
   * poll: a crash re-derives the rest from the next answer's progress); on stop, always.
   */
  private async saveTracker(
    writer: WriterSession,
    userId: string,
    watch: AccountWatch,
    force = false,
  ): Promise<void> {
    const open = watch.tracker.open;
    // The item and its estimated start: the same through a play, paused or not; new for a repeat.
    // The item and its estimated start: the same through a play, paused or not; new for a repeat.
    const identity = open ? `${open.item.type}:${open.item.id}:${open.endMs - open.listenedMs}` : '';
    if (identity === watch.stored && !force) return;
    await writeStateJson(writer.state, trackerKey(userId), watch.tracker);
    watch.stored = identity;
  }

  private async commitPlays(writer: WriterSession, userId: string, ended: PlayerPlay[]): Promise<void> {
    if (ended.length === 0) return;
    const ingestedAt = new Date(this.now()).toISOString();
    const tracks: { record: ListeningRecord; key: PlayKey }[] = [];
    const episodes: { record: EpisodeRecord; key: PlayKey }[] = [];
    let tooShort = 0;
    for (const play of ended) {
      if (play.msPlayed < this.options.settings.minMsPlayed) {
        tooShort++;
        continue;
      }
      const r = recordOfPlayerPlay(play, userId, ingestedAt);
      if (r.kind === 'track') tracks.push(r);
      else episodes.push(r);
    }
    const prefix = this.options.config.storage.prefix;
    const written =
      (await this.commitDataset(writer, userId, 'tracks', tracksDataset(prefix), tracks, recordToJsonLine)) +
      (await this.commitDataset(
        writer,
        userId,
        'episodes',
        { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX },
        episodes,
        episodeToJsonLine,
      ));
    const kept = tracks.length + episodes.length;
    this.options.counters?.onPlays?.(userId, written, kept - written, tooShort);
    this.options.log.info(
      { account: userId, ended: ended.length, written, alreadyPresent: kept - written, tooShort },
      'player plays ended',
    );
  }

  /** The collector's commit path: the account's ledger decides what is new, the outbox commits it. */
  private async commitDataset<R extends ListeningRecord | EpisodeRecord>(
    writer: WriterSession,
    userId: string,
    name: string,
    dataset: Dataset,
    items: { record: R; key: PlayKey }[],
    toLine: (r: R) => string,
  ): Promise<number> {
    if (items.length === 0) return 0;
    const ledger = writer.ledger(userId, this.options.store, { name, prefix: dataset.prefix });
    const committer = sessionCommitter(writer, {
      userId,
      store: this.options.store,
      ledger,
      log: this.options.log,
      onObjectWritten: this.options.onObjectWritten,
    });
    await committer.recover();
    const fresh = [];
    for (const item of items) if (!(await ledger.has(item.key))) fresh.push(item);
    if (fresh.length === 0) {
      await ledger.flush();
      return 0;
    }
    const objects = buildObjects(
      dataset,
      fresh.map((f) => f.record),
      toLine,
    );
    await committer.commit({ objects, plays: fresh.map((f) => f.key) });
    return fresh.length;
  }
}

/** A kept tracker, its shape checked: one written by another version starts afresh. */
function trackerState(v: unknown): TrackerState {
  const open = (v as { open?: unknown } | null)?.open;
  if (open === null) return { open: null };
  const o = open as Record<string, unknown> | undefined;
  const item = o?.item as Record<string, unknown> | undefined;
  const numbers = ['listenedMs', 'endMs', 'lastAtMs', 'lastProgressMs'].every(
    (k) => typeof o?.[k] === 'number',
  );
  if (!numbers || typeof item?.id !== 'string' || (item.type !== 'track' && item.type !== 'episode')) {
    throw new Error('not a player tracker');
  }
  return v as TrackerState;
}

function episodeToJsonLine(record: EpisodeRecord): string {
  return recordToJsonLine(record, EPISODE_KEYS);
}
