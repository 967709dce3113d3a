import { promises as fs } from 'node:fs';
import path from 'node:path';
import { monthOf } from '../record/time.js';
import type { DataSource } from '../record/schema.js';
import { replaceFilesAtomic } from '../util/fs-atomic.js';
import { readStateFile } from './json-file.js';
import { userStateDir } from './paths.js';
import { MATCH_WINDOW_MS, PlaySet, type PlayKey, type SourceCode } from './play-set.js';

export { closeInTime, normaliseName, samePlay, type PlayKey, type SourceCode } from './play-set.js';

export const SOURCE_CODE: Record<DataSource, SourceCode> = {
  spotify_recently_played_api: 'api',
  spotify_extended_streaming_history: 'ext',
  spotify_account_data: 'acct',
};

/** A play as a month file stores it. */
type Entry = [t: number, id: string | null, name: string, src: SourceCode];

/**
 * A month file's plays, its shape checked by hand rather than by a schema library: an import reads months
 * back by the dozen, tens of thousands of entries, and a schema's copy of every entry cost more than the
 * parse itself.
 */
function monthPlays(value: unknown): Entry[] {
  const file = value as { v?: unknown; plays?: unknown } | null;
  if (typeof file !== 'object' || file === null || file.v !== 1 || !Array.isArray(file.plays)) {
    throw new Error('not a ledger month (expected {"v":1,"plays":[...]})');
  }
  const plays = file.plays as unknown[];
  for (let i = 0; i < plays.length; i++) {
    const e = plays[i];
    if (
      !Array.isArray(e) ||
      e.length !== 4 ||
      typeof e[0] !== 'number' ||
      (e[1] !== null && typeof e[1] !== 'string') ||
      typeof e[2] !== 'string' ||
      (e[3] !== 'api' && e[3] !== 'ext' && e[3] !== 'acct')
    ) {
      throw new Error(`plays[${i}] is not [time, track id or null, name, source]`);
    }
  }
  return plays as Entry[];
}

const DAY_MS = 86_400_000;
const MONTH_FILE = /^\d{4}-\d{2}\.json$/;

const monthByDay = new Map<number, string>();
/** monthOf, memoised per UTC day: the ledger asks for it for every play it looks up or adds. */
function monthKey(t: number): string {
  const day = Math.floor(t / DAY_MS);
  let month = monthByDay.get(day);
  if (month === undefined) {
    month = monthOf(t);
    if (monthByDay.size > 100_000) monthByDay.clear();
    monthByDay.set(day, month);
  }
  return month;
}

/** Whether every play matching one at `t` is on the same UTC day (so in the same month): the hot path. */
function farFromMidnight(t: number): boolean {
  const day = Math.floor(t / DAY_MS);
  return (
    Math.floor((t - MATCH_WINDOW_MS) / DAY_MS) === day && Math.floor((t + MATCH_WINDOW_MS) / DAY_MS) === day
  );
}

/**
 * Months whose entries could match a play at `t`: matches lie within MATCH_WINDOW_MS of each other, so the
 * neighbouring months only for a play that close to midnight.
 */
function monthsAround(t: number): string[] {
  if (farFromMidnight(t)) return [monthKey(t)];
  return [...new Set([monthKey(t - MATCH_WINDOW_MS), monthKey(t), monthKey(t + MATCH_WINDOW_MS)])];
}

/**
 * Every play of one account that is in the lake, partitioned by UTC month in STATE_DIR so a run loads only
 * the months it touches. It is what makes the lake exactly-once: a play is written only if the ledger does
 * not hold it, and the ledger is updated (through the outbox) once the object holding it is durable.
 */
export class PlayLedger {
  private readonly months = new Map<string, PlaySet>();
  private readonly loading = new Map<string, Promise<PlaySet>>();
  /** Months with plays not yet written, each with the count of changes when it last got one. */
  private readonly dirty = new Map<string, number>();
  private changes = 0;
  readonly dir: string;

  /**
   * `dataset` keeps other datasets' plays apart (the import's podcast episodes: `episodes`); the default
   * is the listening history, in `ledger/`.
   */
  constructor(
    stateDir: string,
    readonly userId: string,
    readonly dataset: string = 'tracks',
  ) {
    this.dir = path.join(
      userStateDir(stateDir, userId),
      dataset === 'tracks' ? 'ledger' : `ledger-${dataset}`,
    );
  }

  private fileOf(month: string) {
    return path.join(this.dir, `${month}.json`);
  }

  private async month(month: string): Promise<PlaySet> {
    const index = this.months.get(month);
    if (index) return index;
    // Concurrent callers share one read: two indexes of one month would lose the plays added to the other.
    let loading = this.loading.get(month);
    if (!loading) {
      loading = this.read(month)
        .then((plays) => {
          let loaded = this.months.get(month);
          if (!loaded) {
            loaded = new PlaySet();
            for (const [t, id, name, src] of plays ?? []) loaded.add({ t, id, name, src });
          }
          this.months.set(month, loaded);
          return loaded;
        })
        .finally(() => this.loading.delete(month));
      this.loading.set(month, loading);
    }
    return loading;
  }

  /**
   * The month files on disk, listed once: this process is their only writer (the state lock), so a month
   * not listed and not written since has no file, and is not asked for (an import through years of history
   * looks up hundreds of months that have none yet). Undefined when the folder cannot be listed.
   */
  private onDisk: Promise<Set<string> | undefined> | undefined;

  private async read(month: string): Promise<Entry[] | undefined> {
    this.onDisk ??= fs.readdir(this.dir).then(
      (names) => new Set(names.filter((n) => MONTH_FILE.test(n)).map((n) => n.slice(0, 7))),
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? new Set<string>() : undefined),
    );
    const onDisk = await this.onDisk;
    if (onDisk && !onDisk.has(month)) return undefined;
    return readStateFile(this.fileOf(month), monthPlays);
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
    if (farFromMidnight(key.t)) return this.months.get(monthKey(key.t))?.has(key);
    let missing = false;
    for (const m of monthsAround(key.t)) {
      const index = this.months.get(m);
      if (!index) missing = true;
      else if (index.has(key)) return true;
    }
    return missing ? undefined : false;
  }

  /** Records plays as written; call flush() to persist. Adding a play already held is a no-op. */
  async add(keys: Iterable<PlayKey>): Promise<void> {
    for (const key of keys) {
      const m = monthKey(key.t);
      // Without an await per play when the month is in memory (an import adds thousands at once).
      const index = this.months.get(m) ?? (await this.month(m));
      if (index.add(key)) this.dirty.set(m, ++this.changes);
    }
  }

  async flush(): Promise<void> {
    const months = [...this.dirty.keys()];
    if (months.length === 0) return;
    const changes = this.changes;
    // All months at once: one pair of filesystem flushes for an import's batch, not two fsyncs per month.
    await replaceFilesAtomic(
      this.dir,
      months.map((m) => {
        const index = this.months.get(m)!;
        const plays = index.plays.map((k): Entry => [k.t, k.id, k.name, k.src]).sort((a, b) => a[0] - b[0]);
        return { target: this.fileOf(m), data: `${JSON.stringify({ v: 1, plays })}\n` };
      }),
    );
    const onDisk = await this.onDisk;
    for (const m of months) onDisk?.add(m);
    // A month given plays while it was being written stays dirty.
    for (const m of months) if (this.dirty.get(m)! <= changes) this.dirty.delete(m);
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
    let files: string[] = [];
    try {
      files = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const f of files) {
      if (MONTH_FILE.test(f)) total += (await this.month(f.slice(0, 7))).plays.length;
    }
    return total;
  }
}
