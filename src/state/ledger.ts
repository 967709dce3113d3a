import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { monthOf } from '../record/time.js';
import type { DataSource } from '../record/schema.js';
import { readStateFile, writeStateFile } from './json-file.js';
import { userStateDir } from './paths.js';

/** Source codes kept in the ledger (short, since the ledger holds every play ever written). */
export type SourceCode = 'api' | 'ext' | 'acct';

export const SOURCE_CODE: Record<DataSource, SourceCode> = {
  spotify_recently_played_api: 'api',
  spotify_extended_streaming_history: 'ext',
  spotify_account_data: 'acct',
};

/** What identifies a play (CONTRACT: user_id, played_at, track_id or track_name); the user is the ledger's. */
export interface PlayKey {
  /** played_at, epoch milliseconds. */
  t: number;
  id: string | null;
  name: string;
  src: SourceCode;
}

type Entry = [t: number, id: string | null, name: string, src: SourceCode];

const monthFileSchema = z.object({
  v: z.literal(1),
  plays: z.array(z.tuple([z.number(), z.string().nullable(), z.string(), z.enum(['api', 'ext', 'acct'])])),
});

/** Clocks of the API and the export differ by a few seconds; a play lasts at least ~30 s, so 10 s is safe. */
const CROSS_SOURCE_TOLERANCE_MS = 10_000;
/** Account Data gives the end time truncated to the minute. */
const MINUTE_MS = 60_000;

const normalised = new Map<string, string>();
/**
 * How names are compared: Unicode-compatible, case-insensitive, spaces collapsed. Memoised: a history
 * names the same few thousand tracks again and again, and normalising is the costly part of a lookup.
 */
export function normaliseName(name: string): string {
  let n = normalised.get(name);
  if (n === undefined) {
    n = name.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
    if (normalised.size >= 20_000) normalised.clear();
    normalised.set(name, n);
  }
  return n;
}

/**
 * Whether two keys describe the same play. Within one source the identity is exact (the same source gives
 * the same timestamp for the same play). Across sources the clocks differ slightly and Account Data keeps
 * only minutes, so a small window is allowed; a song played twice in a row stays two plays because two
 * plays of one track are at least one play's length apart.
 */
export function samePlay(a: PlayKey, b: PlayKey): boolean {
  if (a.id !== null && b.id !== null) {
    if (a.id !== b.id) return false;
  } else if (normaliseName(a.name) !== normaliseName(b.name)) {
    return false;
  }
  return closeInTime(a.t, a.src, b.t, b.src);
}

/** The time half of samePlay, for callers whose candidates already share the id or the name. */
export function closeInTime(at: number, asrc: SourceCode, bt: number, bsrc: SourceCode): boolean {
  if (asrc === bsrc) {
    return asrc === 'acct' ? Math.floor(at / MINUTE_MS) === Math.floor(bt / MINUTE_MS) : at === bt;
  }
  if (asrc === 'acct' || bsrc === 'acct') {
    const [acctT, otherT] = asrc === 'acct' ? [at, bt] : [bt, at];
    const start = Math.floor(acctT / MINUTE_MS) * MINUTE_MS;
    return (
      otherT >= start - CROSS_SOURCE_TOLERANCE_MS && otherT < start + MINUTE_MS + CROSS_SOURCE_TOLERANCE_MS
    );
  }
  return Math.abs(at - bt) <= CROSS_SOURCE_TOLERANCE_MS;
}

const DAY_MS = 86_400_000;

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
const SPAN_MS = MINUTE_MS + CROSS_SOURCE_TOLERANCE_MS;

/** Months whose entries could match a play at `t` (its neighbours only within SPAN_MS of midnight). */
function monthsAround(t: number): string[] {
  const day = Math.floor(t / DAY_MS);
  if (Math.floor((t - SPAN_MS) / DAY_MS) === day && Math.floor((t + SPAN_MS) / DAY_MS) === day) {
    return [monthKey(t)]; // not near a day boundary, so not near a month boundary: the hot path
  }
  return [...new Set([monthKey(t - SPAN_MS), monthKey(t), monthKey(t + SPAN_MS)])];
}

class MonthIndex {
  readonly entries: Entry[] = [];
  /** Every entry by name: only id-less keys (Account Data) look here, so it is built when one first asks. */
  private byName: Map<string, Entry[]> | undefined;
  /** Entries without an id (Account Data), by name: the only name matches a key with an id can have. */
  private readonly byNameNoId = new Map<string, Entry[]>();
  private readonly byId = new Map<string, Entry[]>();
  constructor(entries: Entry[]) {
    for (const e of entries) this.add(e);
  }
  private static push(map: Map<string, Entry[]>, key: string, e: Entry) {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(e);
  }
  /** Adds an entry; false when exactly this entry is already there (a replayed outbox entry). */
  add(e: Entry): boolean {
    // An identical entry has the same id, or (without one) the same name: it is in that one short list.
    const id = e[1];
    const name = id === null ? normaliseName(e[2]) : undefined;
    const same = id !== null ? this.byId.get(id) : this.byNameNoId.get(name!);
    if (same) {
      for (const o of same) if (o[0] === e[0] && o[2] === e[2] && o[3] === e[3]) return false;
    }
    this.entries.push(e);
    if (this.byName) MonthIndex.push(this.byName, name ?? normaliseName(e[2]), e);
    if (id !== null) MonthIndex.push(this.byId, id, e);
    else MonthIndex.push(this.byNameNoId, name!, e);
    return true;
  }
  private names(): Map<string, Entry[]> {
    if (!this.byName) {
      this.byName = new Map();
      for (const e of this.entries) MonthIndex.push(this.byName, normaliseName(e[2]), e);
    }
    return this.byName;
  }
  /**
   * Candidates share the id (a track renamed between the API and the export), or the name. A key with an
   * id can only match an entry with another id through the id (samePlay compares ids when both have one),
   * so it looks at name matches without an id only: common titles ("Intro") stay cheap.
   */
  find(key: PlayKey): boolean {
    // Every candidate list below already shares the id or the name that samePlay would compare.
    if (key.id !== null) {
      if (anyNear(key, this.byId.get(key.id))) return true;
      // Most months hold no id-less play at all: skip normalising the name then.
      return this.byNameNoId.size > 0 && anyNear(key, this.byNameNoId.get(normaliseName(key.name)));
    }
    return anyNear(key, this.names().get(normaliseName(key.name)));
  }
}

/** Plain loop, no closure per call: this runs for every row of an import. */
function anyNear(key: PlayKey, candidates: Entry[] | undefined): boolean {
  if (candidates === undefined) return false;
  for (const e of candidates) if (closeInTime(key.t, key.src, e[0], e[3])) return true;
  return false;
}

const toEntry = (k: PlayKey): Entry => [k.t, k.id, k.name, k.src];

/**
 * Every play of one account that is in the lake, partitioned by UTC month in STATE_DIR so a run loads only
 * the months it touches. It is what makes the lake exactly-once: a play is written only if the ledger does
 * not hold it, and the ledger is updated (through the outbox) once the object holding it is durable.
 */
export class PlayLedger {
  private readonly months = new Map<string, MonthIndex>();
  private readonly loading = new Map<string, Promise<MonthIndex>>();
  private readonly dirty = new Set<string>();
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

  private async month(month: string): Promise<MonthIndex> {
    const index = this.months.get(month);
    if (index) return index;
    // Concurrent callers share one read: two indexes of one month would lose the plays added to the other.
    let loading = this.loading.get(month);
    if (!loading) {
      loading = readStateFile(this.fileOf(month), (v) => monthFileSchema.parse(v))
        .then((data) => {
          const loaded = this.months.get(month) ?? new MonthIndex((data?.plays ?? []) as Entry[]);
          this.months.set(month, loaded);
          return loaded;
        })
        .finally(() => this.loading.delete(month));
      this.loading.set(month, loading);
    }
    return loading;
  }

  /** Whether the lake already holds this play (or the same play seen by another source). */
  async has(key: PlayKey): Promise<boolean> {
    for (const m of monthsAround(key.t)) {
      if ((await this.month(m)).find(key)) return true;
    }
    return false;
  }

  /**
   * `has` without waiting, when every month it looks at is in memory (the hot path of an import);
   * undefined when one must be read first (then call `has`).
   */
  hasLoaded(key: PlayKey): boolean | undefined {
    const day = Math.floor(key.t / DAY_MS);
    if (Math.floor((key.t - SPAN_MS) / DAY_MS) === day && Math.floor((key.t + SPAN_MS) / DAY_MS) === day) {
      const index = this.months.get(monthKey(key.t));
      return index?.find(key);
    }
    let missing = false;
    for (const m of monthsAround(key.t)) {
      const index = this.months.get(m);
      if (!index) missing = true;
      else if (index.find(key)) return true;
    }
    return missing ? undefined : false;
  }

  /** Records plays as written; call flush() to persist. Adding a play already held is a no-op. */
  async add(keys: Iterable<PlayKey>): Promise<void> {
    for (const key of keys) {
      const m = monthKey(key.t);
      // Without an await per play when the month is in memory (an import adds thousands at once).
      const index = this.months.get(m) ?? (await this.month(m));
      if (index.add(toEntry(key))) this.dirty.add(m);
    }
  }

  async flush(): Promise<void> {
    // Month files are independent: write them together, so their fsyncs overlap.
    await Promise.all(
      [...this.dirty].map(async (m) => {
        const index = this.months.get(m)!;
        const plays = [...index.entries].sort((a, b) => a[0] - b[0]);
        await writeStateFile(this.fileOf(m), { v: 1, plays });
        this.dirty.delete(m);
      }),
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
    let files: string[] = [];
    try {
      files = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const f of files) {
      if (/^\d{4}-\d{2}\.json$/.test(f)) total += (await this.month(f.slice(0, 7))).entries.length;
    }
    return total;
  }
}
