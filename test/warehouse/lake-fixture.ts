import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { buildObjects } from '../../src/lake/build-objects.js';
import { recordToJsonLine } from '../../src/lake/encode.js';
import { tracksDataset, type Dataset } from '../../src/lake/layout.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import {
  EPISODE_DATASET_PREFIX,
  EPISODE_FILE_PREFIX,
  EPISODE_KEYS,
  type EpisodeRecord,
} from '../../src/record/episode-schema.js';
import type { ListeningRecord } from '../../src/record/schema.js';

export const PREFIX = 'spotify_listening_history/';

export function tempDir(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `wh-${name}-`));
}

function episodeLine(record: EpisodeRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of EPISODE_KEYS) ordered[key] = record[key];
  return JSON.stringify(ordered);
}

/** Writes plays the way the collector does: one write-once object per UTC date. Returns the keys. */
export async function writePlays(
  store: ObjectStore,
  records: ListeningRecord[],
  prefix = PREFIX,
): Promise<string[]> {
  const objects = buildObjects(tracksDataset(prefix), records, recordToJsonLine);
  for (const o of objects) await store.putIfAbsent(o.key, o.body);
  return objects.map((o) => o.key);
}

export async function writeEpisodes(store: ObjectStore, records: EpisodeRecord[]): Promise<string[]> {
  const dataset: Dataset = { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX };
  const objects = buildObjects(dataset, records, episodeLine);
  for (const o of objects) await store.putIfAbsent(o.key, o.body);
  return objects.map((o) => o.key);
}

export interface LocalSetup {
  root: string;
  dataDir: string;
  stateDir: string;
  store: LocalObjectStore;
  config: Config;
}

/** A local lake and state folder in a fresh temp dir, with the configuration the CLI would load there. */
export function localSetup(name: string, env: NodeJS.ProcessEnv = {}): LocalSetup {
  const root = tempDir(name);
  const dataDir = path.join(root, 'data');
  const stateDir = path.join(root, 'state');
  const config = loadConfig({ cwd: root, env: { DATA_DIR: dataDir, STATE_DIR: stateDir, ...env } });
  return { root, dataDir, stateDir, store: new LocalObjectStore(dataDir), config };
}
