import { z } from 'zod';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { cronSchedule, intervalSchedule, type Schedule } from './schedule.js';
import type { ContinuousOptions } from './run-continuous.js';

export interface ContinuousFlags {
  interval?: string;
  cron?: string;
  minInterval?: string;
  adaptive?: boolean;
  metricsPort?: string;
  metricsHost?: string;
  shutdownTimeout?: string;
  account?: string;
}

/** Settings of run-continuous that may also come from the environment (containers). */
const envSchema = z.object({
  METRICS_PORT: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number from 0 to 65535')
    .transform(Number)
    .pipe(z.number().int().max(65_535, 'must be a port number from 0 to 65535'))
    .optional(),
  METRICS_HOST: z.string().trim().min(1).optional(),
  MIN_FETCH_INTERVAL: z.string().trim().optional(),
  SPOTIFY_PIPELINE_TEST_FAST_POLLING: z.enum(['1'], 'may only be 1 (or unset)').optional(),
});

/**
 * The least interval and floor users may set. Below a second a real Spotify account gains nothing and risks its
 * rate limit, so these floors hold for everyone; SPOTIFY_PIPELINE_TEST_FAST_POLLING=1 (soak tests and
 * benchmarks against a fake Spotify, never for real use) lowers both to 0.
 */
const MIN_INTERVAL_MS = 1000;
const MIN_FLOOR_MS = 100;

function duration(text: string, what: string, minMs: number): number {
  const ms = parseDuration(text);
  if (ms === null) {
    throw new ConfigError(`${what} "${text}" is not a duration: write it like 30s, 10m, 1h or 1h30m.`);
  }
  if (ms < minMs)
    throw new ConfigError(`${what} "${text}" is too short: the least is ${formatDuration(minMs)}.`);
  return ms;
}

/** Turns flags, environment and configuration into the loop's options; flags win over the environment. */
export function continuousOptions(config: Config, flags: ContinuousFlags): ContinuousOptions {
  const parsed = envSchema.safeParse(config.raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `${String(issue.path[0])} ${issue.message}: fix it in your environment or .env (or use the matching flag).`,
    );
  }
  const env = parsed.data;
  const fast = env.SPOTIFY_PIPELINE_TEST_FAST_POLLING === '1';
  if (flags.interval !== undefined && flags.cron !== undefined) {
    throw new ConfigError('Give either --interval or --cron, not both.');
  }
  let schedule: Schedule;
  if (flags.cron !== undefined) schedule = cronSchedule(flags.cron);
  else if (flags.interval !== undefined)
    schedule = intervalSchedule(duration(flags.interval, '--interval', fast ? 0 : MIN_INTERVAL_MS));
  else schedule = intervalSchedule(Math.round(config.fetchIntervalMinutes * 60_000));

  const floorText = flags.minInterval ?? env.MIN_FETCH_INTERVAL ?? '1m';
  const floorMs = duration(
    floorText,
    flags.minInterval ? '--min-interval' : 'MIN_FETCH_INTERVAL',
    fast ? 0 : MIN_FLOOR_MS,
  );

  const portText = flags.metricsPort;
  let port = env.METRICS_PORT;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) > 65_535) {
      throw new ConfigError(`--metrics-port "${portText}" must be a port number from 0 to 65535.`);
    }
    port = Number(portText);
  }
  const host = flags.metricsHost ?? env.METRICS_HOST ?? '127.0.0.1';
  if (port === undefined && flags.metricsHost !== undefined) {
    throw new ConfigError('--metrics-host needs --metrics-port (or METRICS_PORT) as well.');
  }
  return {
    schedule,
    adaptive: { enabled: flags.adaptive !== false, floorMs },
    account: flags.account,
    metrics: port === undefined ? undefined : { host, port },
    shutdownTimeoutMs: duration(flags.shutdownTimeout ?? '30s', '--shutdown-timeout', 0),
  };
}
