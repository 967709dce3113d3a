import { buildObjects } from '../../src/lake/build-objects.js';
import { recordToJsonLine } from '../../src/lake/encode.js';
import { tracksDataset } from '../../src/lake/layout.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import {
  EPISODE_DATASET_PREFIX,
  EPISODE_FILE_PREFIX,
  EPISODE_KEYS,
  type EpisodeRecord,
} from '../../src/record/episode-schema.js';
import type { ListeningRecord } from '../../src/record/schema.js';

export function episodeToJsonLine(r: EpisodeRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of EPISODE_KEYS) ordered[key] = r[key] ?? null;
  return JSON.stringify(ordered);
}

/** Writes a lake with the project's own writer; returns the keys written. */
export async function writeLake(
  root: string,
  tracks: ListeningRecord[],
  episodes: EpisodeRecord[],
  prefix = 'spotify_listening_history/',
) {
  const store = new LocalObjectStore(root);
  const objects = [
    ...buildObjects(tracksDataset(prefix), tracks, recordToJsonLine),
    ...buildObjects(
      { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX },
      episodes,
      episodeToJsonLine,
    ),
  ];
  for (const o of objects) await store.putIfAbsent(o.key, o.body);
  return { store, objects };
}
