import { Cron } from 'croner';
import { ConfigError } from '../errors.js';
import { formatDuration } from './duration.js';

/** When the next regular poll is due. */
export interface Schedule {
  /** The regular spacing of polls (the cron period for a cron schedule). */
  readonly periodMs: number;
  readonly description: string;
  /** The next regular poll time after a poll that started at `lastStartMs`. */
  nextAfter(lastStartMs: number, nowMs: number): number;
  /** True when regular ticks come from a clock (cron), false for a fixed interval. */
  readonly clockDriven: boolean;
}

export function intervalSchedule(intervalMs: number): Schedule {
  return {
    periodMs: intervalMs,
    description: `every ${formatDuration(intervalMs)}`,
    clockDriven: false,
    nextAfter: (lastStartMs, nowMs) => Math.max(nowMs, lastStartMs + intervalMs),
  };
}

/** A cron schedule (croner syntax: 5 or 6 fields, seconds first when 6), in the given time zone. */
export function cronSchedule(expression: string, timezone?: string): Schedule {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone });
  } catch (err) {
    throw new ConfigError(
      `--cron "${expression}" is not a valid cron expression (${(err as Error).message}): use five fields, for example --cron "*/30 * * * *" for every 30 minutes.`,
    );
  }
  const [a, b] = cron.nextRuns(2);
  if (!a || !b) throw new ConfigError(`--cron "${expression}" never fires again: give a repeating schedule.`);
  return {
    periodMs: b.getTime() - a.getTime(),
    description: `cron "${expression}"`,
    clockDriven: true,
    nextAfter: (_lastStartMs, nowMs) => cron.nextRun(new Date(nowMs))?.getTime() ?? Infinity,
  };
}

/** A little random delay so that many hosts with the same schedule do not all call Spotify at once. */
export function jitterMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(intervalMs * 0.05, 30_000));
}

/** Wait before retrying a collection that failed for a transient reason: 5 s doubling, capped, jittered. */
export function retryDelayMs(consecutiveFailures: number, capMs: number, random = Math.random): number {
  const raw = Math.min(capMs, 5_000 * 2 ** Math.max(0, consecutiveFailures - 1));
  return Math.round(raw * (0.5 + random() / 2));
}
