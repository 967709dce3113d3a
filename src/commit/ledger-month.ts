import { monthOf } from '../record/time.js';
import { MATCH_WINDOW_MS, type SourceCode } from './play-set.js';

/*
 * The ledger's month files: their format, and which month (or months, near midnight) a play falls in. The
 * ledger that loads, learns and writes them is ledger.ts.
 */

/** A play as a month file stores it. */
export type Entry = [t: number, id: string | null, name: string, src: SourceCode];

/**
 * A month file's plays, its shape checked by hand rather than by a schema library: an import reads months
 * back by the dozen, tens of thousands of entries, and a schema's copy of every entry cost more than the
 * parse itself.
 */
export function monthPlays(value: unknown): { plays: Entry[]; epoch: number } {
  const file = value as { v?: unknown; plays?: unknown; epoch?: unknown } | null;
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
      (e[3] !== 'api' && e[3] !== 'ply' && e[3] !== 'ext' && e[3] !== 'acct')
    ) {
      throw new Error(`plays[${i}] is not [time, track id or null, name, source]`);
    }
  }
  return { plays: plays as Entry[], epoch: typeof file.epoch === 'number' ? file.epoch : 0 };
}

const DAY_MS = 86_400_000;
export const MONTH_FILE = /^\d{4}-\d{2}\.json$/;

const monthByDay = new Map<number, string>();
/** monthOf, memoised per UTC day: the ledger asks for it for every play it looks up or adds. */
export function monthKey(t: number): string {
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
export function farFromMidnight(t: number): boolean {
  const day = Math.floor(t / DAY_MS);
  return (
    Math.floor((t - MATCH_WINDOW_MS) / DAY_MS) === day && Math.floor((t + MATCH_WINDOW_MS) / DAY_MS) === day
  );
}

/**
 * Months whose entries could match a play at `t`: matches lie within MATCH_WINDOW_MS of each other, so the
 * neighbouring months only for a play that close to midnight.
 */
export function monthsAround(t: number): string[] {
  if (farFromMidnight(t)) return [monthKey(t)];
  return [...new Set([monthKey(t - MATCH_WINDOW_MS), monthKey(t), monthKey(t + MATCH_WINDOW_MS)])];
}
