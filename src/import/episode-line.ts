import { EPISODE_KEYS, type EpisodeRecord } from '../record/episode-schema.js';

/** One episode as a JSON line, keys in schema order (equal records give equal bytes, hence equal names). */
export function episodeToJsonLine(record: EpisodeRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of EPISODE_KEYS) ordered[key] = record[key] ?? null;
  return JSON.stringify(ordered);
}
