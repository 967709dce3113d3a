/**
 * Adaptive polling. Spotify lists only the most recent plays (one page of BATCH_SIZE, at most 50), so a
 * poll that finds nearly a full page of new plays may be about to miss some. The rule:
 *
 * - a poll that reported a possible gap (a full page with nothing seen before): jump to the floor;
 * - new plays ≥ 60% of BATCH_SIZE (for the busiest account): halve the interval, not below the floor;
 * - new plays < 20% of BATCH_SIZE: double it, not above the configured interval;
 * - otherwise keep it.
 */
export const SHORTEN_AT_RATIO = 0.6;
export const LENGTHEN_BELOW_RATIO = 0.2;

export interface AdaptiveSettings {
  /** The configured interval (FETCH_INTERVAL_MINUTES, --interval, or the cron period). */
  baseMs: number;
  /** The shortest interval adaptive polling may use. */
  floorMs: number;
  batchSize: number;
}

export interface PollObservation {
  /** New plays of the busiest account in this poll. */
  maxNewPlays: number;
  possibleGap: boolean;
}

export interface IntervalDecision {
  ms: number;
  change: 'shortened' | 'lengthened' | 'unchanged';
  reason: string;
}

export function nextInterval(
  currentMs: number,
  poll: PollObservation,
  settings: AdaptiveSettings,
): IntervalDecision {
  const { baseMs, batchSize } = settings;
  const floorMs = Math.min(settings.floorMs, baseMs);
  const ratio = poll.maxNewPlays / batchSize;
  const share = `${poll.maxNewPlays} new plays of a ${batchSize}-play page (${Math.round(ratio * 100)}%)`;
  let ms = currentMs;
  let reason: string;
  if (poll.possibleGap) {
    ms = floorMs;
    reason = 'the last poll reported a possible gap: polling as often as allowed';
  } else if (ratio >= SHORTEN_AT_RATIO) {
    ms = Math.max(floorMs, Math.round(currentMs / 2));
    reason = `${share}, at or above ${SHORTEN_AT_RATIO * 100}%: Spotify keeps only the latest page, so poll sooner`;
  } else if (ratio < LENGTHEN_BELOW_RATIO) {
    ms = Math.min(baseMs, currentMs * 2);
    reason = `${share}, below ${LENGTHEN_BELOW_RATIO * 100}%: quiet again, back toward the configured interval`;
  } else {
    reason = `${share}: keep the interval`;
  }
  const change = ms < currentMs ? 'shortened' : ms > currentMs ? 'lengthened' : 'unchanged';
  return { ms, change, reason };
}
