import { createHash } from 'node:crypto';
import { DATASETS } from '../record/datasets.js';
import { EPISODE_DATASET_PREFIX, EPISODE_FILE_PREFIX } from '../record/episode-schema.js';

/**
 * The pipeline's own area of the lake, outside every dataset prefix (Snowpipe and the warehouse never read
 * it): the writers' lease and the custom-field schema. `_probe/` is where `test` writes and deletes a probe.
 */
export const PIPELINE_PREFIX = '_pipeline/';
export const LEASE_KEY = `${PIPELINE_PREFIX}lease.json`;
export const LAKE_SCHEMA_KEY = `${PIPELINE_PREFIX}schema.json`;
export const PROBE_PREFIX = '_probe/';

/** A dataset in the lake: the listening history, or (from the import) podcast episodes. */
export interface Dataset {
  /** Prefix inside the lake root, ending in "/". */
  prefix: string;
  /** Start of every object name, e.g. `spotify_tracks`. */
  filePrefix: string;
}

export function tracksDataset(prefix: string): Dataset {
  return { prefix, filePrefix: DATASETS.tracks.filePrefix };
}

/** Podcast episodes (from the import), at a fixed prefix. */
export const EPISODES_DATASET: Dataset = { prefix: EPISODE_DATASET_PREFIX, filePrefix: EPISODE_FILE_PREFIX };

/** The dataset prefixes of the lake: the tracks dataset (SNOWFLAKE_STAGE_PREFIX) and the episodes dataset. */
export function lakeDatasetPrefixes(tracksPrefix: string): string[] {
  return [...new Set([tracksPrefix, EPISODES_DATASET.prefix])];
}

/** What a lake object name needs: the earliest play in the file, the record count, the content. */
export interface ObjectNameParts {
  earliestPlayedAt: string;
  count: number;
  /** The exact bytes of the object: the suffix is derived from them, so a retry reproduces the same name. */
  body: Buffer;
}

/**
 * `<prefix>YYYY/MM/DD/<filePrefix>_YYYYMMDD_HHMMSS_batch_N_<suffix>.json.gz`.
 * The suffix is a hash of the content: two different files never share a name, and rewriting
 * the same content (a retried or replayed write) lands on the same name, which write-once turns into a no-op.
 */
export function objectKey(dataset: Dataset, parts: ObjectNameParts): string {
  const iso = parts.earliestPlayedAt;
  const [date, time] = [iso.slice(0, 10), iso.slice(11, 19)];
  const [y, m, d] = date.split('-');
  const hms = time.replaceAll(':', '');
  const suffix = createHash('sha256').update(parts.body).digest('hex').slice(0, 12);
  return `${dataset.prefix}${y}/${m}/${d}/${dataset.filePrefix}_${y}${m}${d}_${hms}_batch_${parts.count}_${suffix}.json.gz`;
}

const KEY_PATTERN =
  /^(?<prefix>(?:.+\/)?)(?<y>\d{4})\/(?<m>\d{2})\/(?<d>\d{2})\/(?<file>[a-z_]+)_(?<ymd>\d{8})_(?<hms>\d{6})_batch_(?<n>\d+)(?:_(?<suffix>[a-z0-9]+))?\.json\.gz$/;

export interface ParsedKey {
  /** The dataset's prefix (everything before `YYYY/MM/DD/`). */
  prefix: string;
  date: string;
  filePrefix: string;
  count: number;
}

/** Parses a lake object key; null when the key does not follow the layout (probes, foreign files). */
export function parseObjectKey(key: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(key);
  if (!m?.groups) return null;
  const g = m.groups as Record<string, string>;
  if (g.ymd !== `${g.y}${g.m}${g.d}`) return null;
  return { prefix: g.prefix ?? '', date: `${g.y}-${g.m}-${g.d}`, filePrefix: g.file!, count: Number(g.n) };
}
