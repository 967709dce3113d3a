/** Source codes kept in the ledger (short, since the ledger holds every play ever written). */
export type SourceCode = 'api' | 'ply' | 'ext' | 'acct';

/** What identifies a play (docs/exactly-once.md: user_id, played_at, track_id or track_name); the user is the ledger's. */
export interface PlayKey {
  /** played_at, epoch milliseconds. */
  t: number;
  id: string | null;
  name: string;
  src: SourceCode;
}

/** Clocks of the API and the export differ by a few seconds; a play lasts at least ~30 s, so 10 s is safe. */
const CROSS_SOURCE_TOLERANCE_MS = 10_000;
/**
 * The player's end of a play is estimated between two polls (at most 15 s apart while something plays, see
 * docs/player.md): its plays match others within that much more. Still less than the shortest play kept
 * (MIN_MS_PLAYED, 30 s), so two real plays of one track, whose ends are a play's length apart, never merge.
 */
export const MAX_PLAYER_POLL_MS = 15_000;
const PLAYER_TOLERANCE_MS = CROSS_SOURCE_TOLERANCE_MS + MAX_PLAYER_POLL_MS;
/** Account Data gives the end time truncated to the minute. */
const MINUTE_MS = 60_000;
/** Two plays that samePlay matches are less than this apart (an Account Data minute and the widest tolerance). */
export const MATCH_WINDOW_MS = MINUTE_MS + PLAYER_TOLERANCE_MS;

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
  return closeInTime(a.t, a.src, b.t, b.src) && sameTrack(a, b);
}

function sameTrack(a: PlayKey, b: PlayKey): boolean {
  if (a.id !== null && b.id !== null) return a.id === b.id;
  return a.name === b.name || normaliseName(a.name) === normaliseName(b.name);
}

/** The time half of samePlay. */
export function closeInTime(at: number, asrc: SourceCode, bt: number, bsrc: SourceCode): boolean {
  // The player's estimates differ between observations too (a play re-derived after a crash): a window even
  // against its own plays.
  const tolerance = asrc === 'ply' || bsrc === 'ply' ? PLAYER_TOLERANCE_MS : CROSS_SOURCE_TOLERANCE_MS;
  if (asrc === bsrc && asrc !== 'ply') {
    return asrc === 'acct' ? Math.floor(at / MINUTE_MS) === Math.floor(bt / MINUTE_MS) : at === bt;
  }
  if (asrc === 'acct' || bsrc === 'acct') {
    const [acctT, otherT] = asrc === 'acct' ? [at, bt] : [bt, at];
    const start = Math.floor(acctT / MINUTE_MS) * MINUTE_MS;
    return otherT >= start - tolerance && otherT < start + MINUTE_MS + tolerance;
  }
  return Math.abs(at - bt) <= tolerance;
}

/**
 * Several times MATCH_WINDOW_MS: a play's matches are in its own bucket, or in a neighbour only when it is
 * near the bucket's edge (a quarter of plays), so most lookups read one bucket of a few plays.
 */
const BUCKET_MS = 524_288;

/**
 * A set of plays answering "is the same play (samePlay) already here?": the ledger's months and the plays
 * of an import's batches. Plays are bucketed by time, since a match is always within MATCH_WINDOW_MS: one
 * listener's plays are minutes apart, so a lookup compares a handful of plays whatever the set's size or how
 * often a track was played (an index by track id would scan every play of a favourite song).
 */
export class PlaySet {
  readonly plays: PlayKey[] = [];
  private readonly buckets = new Map<number, PlayKey[]>();

  has(key: PlayKey): boolean {
    const b = Math.floor(key.t / BUCKET_MS);
    const buckets = this.buckets;
    if (near(key, buckets.get(b))) return true;
    const intoBucket = key.t - b * BUCKET_MS;
    if (intoBucket < MATCH_WINDOW_MS && near(key, buckets.get(b - 1))) return true;
    return intoBucket > BUCKET_MS - MATCH_WINDOW_MS && near(key, buckets.get(b + 1));
  }

  /** Adds a play; false when exactly this play is already held (a replayed outbox entry). */
  add(key: PlayKey): boolean {
    const b = Math.floor(key.t / BUCKET_MS);
    const bucket = this.buckets.get(b);
    if (bucket === undefined) {
      this.buckets.set(b, [key]);
    } else {
      for (const o of bucket) {
        if (o.t === key.t && o.src === key.src && o.id === key.id && o.name === key.name) return false;
      }
      bucket.push(key);
    }
    this.plays.push(key);
    return true;
  }
}

/** Plain loop, no closure per call: this runs for every row of an import. */
function near(key: PlayKey, bucket: PlayKey[] | undefined): boolean {
  if (bucket === undefined) return false;
  for (const o of bucket) if (closeInTime(key.t, key.src, o.t, o.src) && sameTrack(key, o)) return true;
  return false;
}
