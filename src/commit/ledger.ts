import { withRetries, type RetryPolicy } from '../net/retry.js';
import type { DataSource } from '../record/schema.js';
import { corruptState } from '../state/json-file.js';
import { PlaySet, type PlayKey, type SourceCode } from './play-set.js';
import {
  MONTH_FILE,
  monthKey,
  monthPlays,
  monthsAround,
  farFromMidnight,
  type Entry,
} from './ledger-month.js';
import { ledgerPrefix } from '../state/layout.js';
import { StateConflictError, type StateStore } from '../state/state-store.js';

export { closeInTime, normaliseName, samePlay, type PlayKey, type SourceCode } from './play-set.js';

export const SOURCE_CODE: Record<DataSource, SourceCode> = {
  spotify_recently_played_api: 'api',
  spotify_player_state: 'ply',
  spotify_extended_streaming_history: 'ext',
  spotify_account_data: 'acct',
};

/**
 * Another writer's month is read back and merged before each new try, so there is nothing to wait for: five
 * more tries, then the conflict stands.
 */
const MONTH_CONFLICT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 0, maxDelayMs: 0, jitter: 'none' };

/**
 * What the lake says of a month, for a ledger whose state may not cover it (see `LedgerCoverage`).
 */
export interface LedgerCoverage {
  /**
   * The state's coverage epoch (state-identity.ts): a month file written in this epoch reflects the lake;
   * any other (an older epoch, a file from before epochs, no file) is learned from the lake before use.
   */
  epoch: number;
  /** The plays of this account and dataset that the lake holds in a UTC month (`YYYY-MM`). */
  learn(month: string): Promise<PlayKey[]>;
}

interface LoadedMonth {
  set: PlaySet;
  /** The version of the month's state object, for a conditional replace (undefined: there is none). */
  version: string | undefined;
  /** The coverage epoch the month is written with: the current one once it reflects the lake. */
  epoch: number;
}

/**
 * Every play of one account that is in the lake, partitioned by UTC month in the state so a run loads only
 * the months it touches. It is what makes the lake exactly-once: a play is written only if the ledger does
 * not hold it, and the ledger is updated (through the outbox) once the object holding it is durable.
 *
 * The ledger is a cache of the lake: with a `coverage`, a month the state does not vouch for (a new or lost
 * state, or another state wrote to the lake since) is learned from the lake's objects first, so losing the
 * state, or pointing a second one at the lake, never writes a play twice.
 */
export class PlayLedger {
  private readonly months = new Map<string, LoadedMonth>();
  private readonly loading = new Map<string, Promise<LoadedMonth>>();
  /** Months with plays not yet written, each with the count of changes when it last got one. */
  private readonly dirty = new Map<string, number>();
  private changes = 0;
  /** The ledger's key prefix in the state, ending in "/". */
  readonly prefix: string;
  /** Months learned from the lake by this ledger (for the run's log). */
  learned = 0;
  /**
   * Set when a month could not be learned from the lake (it was out of reach) and the state's own word was
   * used instead: what is committed meanwhile is checked against the lake again when it is replayed.
   */
  uncertain = false;

  /**
   * `dataset` keeps other datasets' plays apart (the import's podcast episodes: `episodes`); the default
   * is the listening history, in `ledger/`.
   */
  constructor(
    readonly state: StateStore,
    readonly userId: string,
    readonly dataset: string = 'tracks',
    private readonly coverage?: LedgerCoverage,
    /** With a coverage: go on with the state's word when the lake cannot be read (see `uncertain`). */
    private readonly tolerateLakeErrors?: (err: unknown) => boolean,
  ) {
    this.prefix = ledgerPrefix(userId, dataset);
  }

  private keyOf(month: string) {
    return `${this.prefix}${month}.json`;
  }

  private async month(month: string): Promise<PlaySet> {
    const index = this.months.get(month);
    if (index) return index.set;
    // Concurrent callers share one read: two indexes of one month would lose the plays added to the other.
    let loading = this.loading.get(month);
    if (!loading) {
      loading = this.read(month)
        .then((read) => {
          let loaded = this.months.get(month);
          if (!loaded) {
            loaded = { set: new PlaySet(), version: read.version, epoch: read.epoch };
            for (const [t, id, name, src] of read.plays) loaded.set.add({ t, id, name, src });
            this.months.set(month, loaded);
            if (read.learned) this.dirty.set(month, ++this.changes);
          }
          return loaded;
        })
        .finally(() => this.loading.delete(month));
      this.loading.set(month, loading);
    }
    return (await loading).set;
  }

  /**
   * The month files in the state, listed once: this process is their only writer (the lease), so a month
   * not listed and not written since has no file, and is not asked for (an import through years of history
   * looks up hundreds of months that have none yet).
   */
  private onDisk: Promise<Set<string>> | undefined;

  private async read(
    month: string,
  ): Promise<{ plays: Entry[]; version: string | undefined; learned: boolean; epoch: number }> {
    this.onDisk ??= this.state.list(this.prefix).then(
      (keys) =>
        new Set(
          keys
            .map((k) => k.slice(this.prefix.length))
            .filter((n) => MONTH_FILE.test(n))
            .map((n) => n.slice(0, 7)),
        ),
    );
    const onDisk = await this.onDisk;
    let stored: { plays: Entry[]; epoch: number; version: string } | undefined;
    if (onDisk.has(month)) stored = await this.readStored(month);
    if (!this.coverage || (stored && stored.epoch === this.coverage.epoch)) {
      return {
        plays: stored?.plays ?? [],
        version: stored?.version,
        learned: false,
        epoch: stored?.epoch ?? 0,
      };
    }
    // Not vouched for: the lake is the truth. The plays of this state's own unfinished transactions are in
    // the lake already (outboxes are replayed before any lookup), so nothing of ours is lost by this.
    let learned: PlayKey[];
    try {
      learned = await this.coverage.learn(month);
    } catch (err) {
      if (!this.tolerateLakeErrors?.(err)) throw err;
      this.uncertain = true;
      return {
        plays: stored?.plays ?? [],
        version: stored?.version,
        learned: false,
        epoch: stored?.epoch ?? 0,
      };
    }
    this.learned++;
    const plays = learned.map((k): Entry => [k.t, k.id, k.name, k.src]);
    return { plays, version: stored?.version, learned: true, epoch: this.coverage.epoch };
  }

  private async readStored(
    month: string,
  ): Promise<{ plays: Entry[]; epoch: number; version: string } | undefined> {
    const key = this.keyOf(month);
    const object = await this.state.read(key);
    if (!object) return undefined;
    try {
      return { ...monthPlays(JSON.parse(object.body.toString('utf8'))), version: object.version };
    } catch (err) {
      throw corruptState(`${this.state.location}/${key}`, err);
    }
  }

  /** Whether the lake already holds this play (or the same play seen by another source). */
  async has(key: PlayKey): Promise<boolean> {
    for (const m of monthsAround(key.t)) {
      if ((await this.month(m)).has(key)) return true;
    }
    return false;
  }

  /**
   * `has` without waiting, when every month it looks at is in memory (the hot path of an import);
   * undefined when one must be read first (then call `has`).
   */
  hasLoaded(key: PlayKey): boolean | undefined {
    if (farFromMidnight(key.t)) return this.months.get(monthKey(key.t))?.set.has(key);
    let missing = false;
    for (const m of monthsAround(key.t)) {
      const index = this.months.get(m);
      if (!index) missing = true;
      else if (index.set.has(key)) return true;
    }
    return missing ? undefined : false;
  }

  /** Records plays as written; call flush() to persist. Adding a play already held is a no-op. */
  async add(keys: Iterable<PlayKey>): Promise<void> {
    for (const key of keys) {
      const m = monthKey(key.t);
      // Without an await per play when the month is in memory (an import adds thousands at once).
      const index = this.months.get(m)?.set ?? (await this.month(m));
      if (index.add(key)) this.dirty.set(m, ++this.changes);
    }
  }

  /** The coverage epoch of what this ledger commits now; null when a month could not be learned. */
  get commitEpoch(): number | null | undefined {
    return this.coverage ? (this.uncertain ? null : this.coverage.epoch) : undefined;
  }

  private body(month: string): string {
    const loaded = this.months.get(month)!;
    const plays = loaded.set.plays.map((k): Entry => [k.t, k.id, k.name, k.src]).sort((a, b) => a[0] - b[0]);
    return `${JSON.stringify(loaded.epoch ? { v: 1, epoch: loaded.epoch, plays } : { v: 1, plays })}\n`;
  }

  async flush(): Promise<void> {
    const months = [...this.dirty.keys()];
    if (months.length === 0) return;
    const changes = this.changes;
    if (this.state.kind === 'local') {
      // All months at once: one pair of filesystem flushes for an import's batch, not two fsyncs per month.
      // The STATE_DIR lock makes this process the folder's only writer.
      await this.state.putMany(months.map((m) => ({ key: this.keyOf(m), body: this.body(m) })));
    } else {
      await Promise.all(months.map((m) => this.writeMonth(m)));
    }
    const onDisk = await this.onDisk;
    for (const m of months) onDisk?.add(m);
    // A month given plays while it was being written stays dirty.
    for (const m of months) if (this.dirty.get(m)! <= changes) this.dirty.delete(m);
  }

  /**
   * One month written conditionally: created if it has no object yet, else replaced only if unchanged since
   * it was read. Another writer's version is read back and merged (a union of plays), never overwritten.
   */
  private async writeMonth(month: string): Promise<void> {
    const loaded = this.months.get(month)!;
    const key = this.keyOf(month);
    await withRetries(
      async () => {
        const body = this.body(month);
        if (loaded.version === undefined) {
          const version = await this.state.create(key, body);
          if (version !== undefined) {
            loaded.version = version;
            return;
          }
        } else {
          try {
            loaded.version = await this.state.replace(key, body, loaded.version);
            return;
          } catch (err) {
            if (!(err instanceof StateConflictError)) throw err;
          }
        }
        throw new StateConflictError(key, `the ledger month ${key} keeps being changed by another writer`);
      },
      {
        policy: MONTH_CONFLICT_RETRY,
        isTransient: (err) => err instanceof StateConflictError,
        onRetry: async () => {
          const theirs = await this.readStored(month);
          loaded.version = theirs?.version;
          for (const [t, id, name, src] of theirs?.plays ?? []) loaded.set.add({ t, id, name, src });
        },
      },
    );
  }

  /**
   * Drops from memory the months that are saved and not in `keep`, so a long import through years of
   * history holds only the months around its current batch. They are read again if needed.
   */
  releaseClean(keep: Iterable<string> = [], retain = 0): void {
    const kept = new Set(keep);
    // Map order is load order: the most recently loaded `retain` months stay (an import in time order
    // comes back to the month it just committed).
    const clean = [...this.months.keys()].filter((m) => !this.dirty.has(m) && !kept.has(m));
    for (const m of clean.slice(0, Math.max(0, clean.length - retain))) this.months.delete(m);
  }

  /** How many plays the ledger holds (reads every month file: for stats and tests, not hot paths). */
  async count(): Promise<number> {
    let total = 0;
    for (const key of await this.state.list(this.prefix)) {
      const name = key.slice(this.prefix.length);
      if (MONTH_FILE.test(name)) total += (await this.month(name.slice(0, 7))).plays.length;
    }
    return total;
  }
}
