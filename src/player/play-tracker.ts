/**
 * Plays from a sequence of observations of the player (`GET /me/player/currently-playing`). Pure: the
 * watcher feeds it what it saw and when, and commits the plays it returns. The state is plain JSON, so the
 * play in progress can be kept in the state store across a restart.
 *
 * Time is the watcher's clock at the moment an answer arrived (`atMs`), never the answer's `timestamp`: that
 * field is when the playback state last changed (a pause, a seek), not when the answer was made.
 */

/** What the player showed at one instant. */
export type Observation =
  | {
      atMs: number;
      /** 204, an ad, `unknown`, a private session, or an item we cannot key (a local file, no id). */
      kind: 'nothing';
    }
  | {
      atMs: number;
      kind: 'item';
      item: PlayerItem;
      isPlaying: boolean;
      progressMs: number;
    };

/** The item playing, reduced to what a play needs; `raw` is kept to build the record at the end. */
export interface PlayerItem {
  type: 'track' | 'episode';
  id: string;
  durationMs: number | null;
  raw: unknown;
  context: { type: string | null; uri: string | null } | null;
}

/** A play being observed. */
export interface OpenPlay {
  item: PlayerItem;
  /** Listening time so far: wall time while playing, never time paused. */
  listenedMs: number;
  /** The last instant the play is known to have been listening: its end so far. */
  endMs: number;
  /** The last observation of it, and its position and state then. */
  lastAtMs: number;
  lastProgressMs: number;
  lastPlaying: boolean;
}

/** A finished play. */
export interface PlayerPlay {
  item: PlayerItem;
  /** The estimated END of the play, epoch ms (the meaning recently-played's and the export's times have). */
  endMs: number;
  msPlayed: number;
  /** True when the play ended more than SKIP_MARGIN_MS before the end of the item; null when unknown. */
  skipped: boolean | null;
  /** Why it ended. */
  reason: 'item_changed' | 'repeat' | 'stopped' | 'paused_too_long' | 'process_stopped';
}

export interface TrackerState {
  open: OpenPlay | null;
}

export interface TrackerOptions {
  /** How long a pause (or no answer) keeps a play open; longer and the play ended when it paused. */
  pauseEndsPlayMs: number;
  /**
   * The longest gap between two observations over which playing is assumed to have gone on. The watcher polls
   * at most every 15 s while something plays; a longer gap (a 429 wait, a restart) is not extrapolated over.
   */
  maxGapMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { pauseEndsPlayMs: 30 * 60_000, maxGapMs: 60_000 };

/**
 * A play that ended more than this before the item's end was skipped. Ten seconds: position at the end is
 * estimated within about a second (from the next item's progress), and the last seconds of a track are often
 * silence or a cross-fade, so ending there is not a skip.
 */
export const SKIP_MARGIN_MS = 10_000;
/** A position this close to the end, or closer than the gap since, counts as "neared its end" for a repeat. */
const NEAR_END_SLACK_MS = 5_000;

export function emptyTracker(): TrackerState {
  return { open: null };
}

/** Feeds one observation; returns the new state and the plays that ended. */
export function observe(
  state: TrackerState,
  o: Observation,
  options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
): { state: TrackerState; ended: PlayerPlay[] } {
  const open = state.open;
  const ended: PlayerPlay[] = [];
  if (open && o.atMs < open.lastAtMs) return { state, ended }; // an older answer arriving late
  if (!open) {
    return { state: { open: o.kind === 'item' && o.isPlaying ? start(o) : null }, ended };
  }
  const gap = o.atMs - open.lastAtMs;
  const remaining =
    open.item.durationMs === null ? Infinity : Math.max(0, open.item.durationMs - open.lastProgressMs);

  if (o.kind === 'item' && o.item.id === open.item.id && o.item.type === open.item.type) {
    // The same item. Back to near the start after it neared its end: a repeat, which is a new play.
    const nearedEnd = remaining <= gap + NEAR_END_SLACK_MS;
    if (
      open.lastPlaying &&
      nearedEnd &&
      o.progressMs < open.lastProgressMs &&
      o.progressMs <= gap + NEAR_END_SLACK_MS
    ) {
      const played = Math.min(remaining, Math.max(0, gap - o.progressMs));
      ended.push(finish(open, played, 'repeat'));
      return { state: { open: o.isPlaying ? start(o) : null }, ended };
    }
    if (!o.isPlaying && !open.lastPlaying && o.atMs - open.endMs > options.pauseEndsPlayMs) {
      ended.push(finish(open, 0, 'paused_too_long'));
      return { state: { open: null }, ended };
    }
    return { state: { open: advance(open, o, gap, options) }, ended };
  }

  // Another item, or nothing: the open play ended between the two observations.
  if (o.kind === 'nothing' && !open.lastPlaying && o.atMs - open.endMs <= options.pauseEndsPlayMs) {
    // Paused, then the answer went empty (the device went idle): wait for the pause limit.
    return { state: { open: { ...open, lastAtMs: o.atMs } }, ended };
  }
  let played = 0;
  if (open.lastPlaying && gap <= options.maxGapMs) {
    // The switch happened no later than the new item's progress before now.
    const untilSwitch = o.kind === 'item' ? gap - o.progressMs : gap;
    played = Math.min(remaining, Math.max(0, untilSwitch));
  }
  ended.push(finish(open, played, o.kind === 'item' ? 'item_changed' : 'stopped'));
  return { state: { open: o.kind === 'item' && o.isPlaying ? start(o) : null }, ended };
}

/** Ends the play in progress without extrapolating: the process is stopping. */
export function closeOnStop(state: TrackerState): { state: TrackerState; ended: PlayerPlay[] } {
  if (!state.open) return { state, ended: [] };
  return { state: { open: null }, ended: [finish(state.open, 0, 'process_stopped')] };
}

/**
 * A play first seen at position p counts p as listened: the watcher polls at most every 15 s while something
 * plays, so a new item is first seen within seconds of its start (and after a crash, p is the best estimate).
 */
function start(o: Extract<Observation, { kind: 'item' }>): OpenPlay {
  return {
    item: o.item,
    listenedMs: o.progressMs,
    endMs: o.atMs,
    lastAtMs: o.atMs,
    lastProgressMs: o.progressMs,
    lastPlaying: o.isPlaying,
  };
}

function advance(
  open: OpenPlay,
  o: Extract<Observation, { kind: 'item' }>,
  gap: number,
  options: TrackerOptions,
): OpenPlay {
  let add = 0;
  if (open.lastPlaying && o.isPlaying && gap <= options.maxGapMs) {
    add = gap; // wall time while playing: right through seeks, which move the position but not the clock
  } else if (open.lastPlaying || o.isPlaying) {
    // Paused or resumed in between (or a gap too long to trust): what the position moved, at most the time.
    add = Math.min(gap, Math.max(0, o.progressMs - open.lastProgressMs));
  }
  const endMs = o.isPlaying ? o.atMs : open.lastPlaying ? open.lastAtMs + add : open.endMs;
  return {
    item: open.item,
    listenedMs: open.listenedMs + add,
    endMs,
    lastAtMs: o.atMs,
    lastProgressMs: o.progressMs,
    lastPlaying: o.isPlaying,
  };
}

function finish(open: OpenPlay, playedAfterLast: number, reason: PlayerPlay['reason']): PlayerPlay {
  const position = open.lastProgressMs + playedAfterLast;
  const duration = open.item.durationMs;
  return {
    item: open.item,
    endMs: open.lastPlaying ? open.lastAtMs + playedAfterLast : open.endMs,
    msPlayed: open.listenedMs + playedAfterLast,
    skipped: duration === null || reason === 'process_stopped' ? null : duration - position > SKIP_MARGIN_MS,
    reason,
  };
}
