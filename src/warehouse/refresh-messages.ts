import { existsSync } from 'node:fs';
import { describeLake, type StorageSettings } from '../config.js';
import { plural } from '../util/plural.js';
import type { RefreshResult } from './warehouse.js';

/** Lines for stderr about objects that could not be loaded, naming each and the fix; empty when none. */
export function failedObjectsMessage(result: RefreshResult, storage: StorageSettings): string {
  if (result.failed.length === 0) return '';
  const n = result.failed.length;
  const lines = result.failed.map((f) => `  ${f.key}: ${f.message}`);
  return [
    `error: ${plural(n, 'lake object')} in ${describeLake(storage)} could not be loaded into the warehouse (everything else was loaded; results leave ${n === 1 ? 'it' : 'them'} out):`,
    ...lines,
    'Fix: restore a good copy of each object, or move it out of the lake; it is tried again on every refresh until then.',
  ].join('\n');
}

/** True when the warehouse holds no plays and no episodes. */
export function isEmpty(result: RefreshResult): boolean {
  return Object.values(result.tables).every((n) => n === 0);
}

export function emptyLakeMessage(storage: StorageSettings): string {
  // A mistyped --data-dir looks like an empty lake: saying the folder is missing points at the typo.
  const missing = !storage.bucket && !existsSync(storage.dataDir) ? ' (its folder does not exist yet)' : '';
  return `The lake at ${describeLake(storage)} holds no plays yet${missing}. Collect some with \`spotify-pipeline run-once\`, or load your Spotify history with \`spotify-pipeline import <my_spotify_data.zip>\`.`;
}
