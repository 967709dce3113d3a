import { EPISODE_COLUMNS, EPISODE_FILE_PREFIX } from './episode-schema.js';
import { LISTENING_COLUMNS, type RecordColumn } from './schema.js';

/** The lake's datasets: the listening history, and (from the import and the player) podcast episodes. */
export type DatasetName = 'tracks' | 'episodes';

/** What every layer derives from a dataset: object names, state folders, table columns. */
export interface DatasetSchema {
  /** Start of every lake object name, e.g. `spotify_tracks`. */
  readonly filePrefix: string;
  /**
   * Suffix of the dataset's state folders (`ledger<suffix>/`, `outbox<suffix>/`): the listening history came
   * first and kept the plain names.
   */
  readonly stateSuffix: string;
  /** The record's keys, in the order they are written: the columns of both warehouses' tables. */
  readonly columns: readonly RecordColumn[];
}

export const DATASETS: Readonly<Record<DatasetName, DatasetSchema>> = {
  tracks: { filePrefix: 'spotify_tracks', stateSuffix: '', columns: LISTENING_COLUMNS },
  episodes: { filePrefix: EPISODE_FILE_PREFIX, stateSuffix: '-episodes', columns: EPISODE_COLUMNS },
};

/** The suffix of a dataset's state folders; a dataset not in DATASETS gets `-<name>`, like episodes. */
export function stateSuffixOf(dataset: string): string {
  return Object.hasOwn(DATASETS, dataset) ? DATASETS[dataset as DatasetName].stateSuffix : `-${dataset}`;
}
