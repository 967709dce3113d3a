/**
 * How the generated listener behaves, so that the sample export reads like a real one: plays that end the way
 * their length says (a play of the whole track ended by `trackdone`, a skip by the forward button and marked
 * `skipped`), days without music (more of them at weekends, a holiday now and then) and a weekly rhythm.
 * Pure functions of a seeded `random`, so the same seed still gives the same export.
 */

export type Random = () => number;

export interface PlayEnding {
  msPlayed: number;
  /** As Spotify's export spells it: trackdone, fwdbtn, backbtn, endplay, logout. */
  reasonEnd: string;
  /** The export's `skipped`: "the user skipped to the next song" (so only the forward button). */
  skipped: boolean;
}

/**
 * How one play of a track of `durationMs` ends: about 12 % are skipped within 30 s (the import drops those,
 * as Spotify's recently-played never lists them), 12 % are cut short later (most by the forward button), the
 * rest play to the end.
 */
export function playEnding(random: Random, durationMs: number): PlayEnding {
  const kind = random();
  if (kind < 0.12) {
    const reasonEnd = random() < 0.85 ? 'fwdbtn' : 'backbtn';
    return { msPlayed: Math.floor(random() * 29_000), reasonEnd, skipped: reasonEnd === 'fwdbtn' };
  }
  if (kind < 0.24) {
    const room = Math.max(1, Math.floor(durationMs * 0.85) - 30_000);
    const u = random();
    const reasonEnd = u < 0.65 ? 'fwdbtn' : u < 0.85 ? 'endplay' : u < 0.93 ? 'logout' : 'backbtn';
    return {
      msPlayed: 30_000 + Math.floor(random() * room),
      reasonEnd,
      skipped: reasonEnd === 'fwdbtn',
    };
  }
  return { msPlayed: durationMs, reasonEnd: 'trackdone', skipped: false };
}

/** Why the next play starts, given how the one before it ended (`null`: the first of a session). */
export function reasonStart(random: Random, previousEnd: string | null): string {
  switch (previousEnd) {
    case 'trackdone':
    case 'fwdbtn':
    case 'backbtn':
      return previousEnd;
    case 'endplay':
      return 'clickrow';
    default:
      return ['clickrow', 'playbtn', 'appload'][Math.floor(random() * 3)]!;
  }
}

/** Chance of a day without music, by UTC weekday (0 = Sunday): weekends are quieter. */
const REST_CHANCE = [0.3, 0.08, 0.08, 0.08, 0.08, 0.1, 0.25];

/**
 * Days without music starting on a day of `weekday` (0 for a day with music): now and then a holiday of 3 to
 * 11 days (`holidays` false turns them off, for the last weeks of a demo), else a single quiet day at the
 * weekday's rate. Daily streaks then last days or weeks, as people's do, not the whole history.
 */
export function restDays(random: Random, weekday: number, holidays = true): number {
  if (holidays && random() < 0.01) return 3 + Math.floor(random() * 9);
  return random() < REST_CHANCE[weekday]! ? 1 : 0;
}

/** The hour (UTC) a listening day starts: later at weekends. */
export function firstHour(random: Random, weekday: number): number {
  const weekend = weekday === 0 || weekday === 6;
  return (weekend ? 9 : 7) + random() * 2;
}

/** Chance that a play is followed by a break rather than the next play: more at weekday working hours. */
export function breakChance(weekday: number, hour: number): number {
  const working = weekday >= 1 && weekday <= 5 && hour >= 9 && hour < 17;
  return working ? 0.08 : 0.04;
}
