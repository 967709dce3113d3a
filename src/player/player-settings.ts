import { ConfigError } from '../errors.js';
import { MAX_PLAYER_POLL_MS } from '../commit/index.js';

export interface PlayerSettings {
  /** Milliseconds between polls while something plays; 0: the player is not read. */
  pollMs: number;
  /** Plays listened to for less are not kept. */
  minMsPlayed: number;
}

export const DEFAULT_PLAYER_POLL_SECONDS = 10;
export const DEFAULT_MIN_MS_PLAYED = 30_000;

/**
 * PLAYER_POLL_SECONDS (0 turns the player off; at most 15, since the lake's matching of a player play against
 * recently-played and the export allows for one poll interval) and MIN_MS_PLAYED.
 */
export function playerSettings(raw: Record<string, string | undefined>): PlayerSettings {
  const poll = raw.PLAYER_POLL_SECONDS?.trim() || String(DEFAULT_PLAYER_POLL_SECONDS);
  const max = MAX_PLAYER_POLL_MS / 1000;
  if (!/^\d+$/.test(poll) || Number(poll) > max) {
    throw new ConfigError(
      `PLAYER_POLL_SECONDS=${poll}: must be a whole number of seconds from 1 to ${max}, or 0 to turn the player off.`,
    );
  }
  return { pollMs: Number(poll) * 1000, minMsPlayed: minMsPlayedSetting(raw) };
}

/** MIN_MS_PLAYED: the shortest play kept, from the player and (unless `--min-ms-played` says otherwise) the export. */
export function minMsPlayedSetting(raw: Record<string, string | undefined>): number {
  const min = raw.MIN_MS_PLAYED?.trim() || String(DEFAULT_MIN_MS_PLAYED);
  if (!/^\d+$/.test(min))
    throw new ConfigError(`MIN_MS_PLAYED=${min}: must be a whole number of milliseconds.`);
  return Number(min);
}
