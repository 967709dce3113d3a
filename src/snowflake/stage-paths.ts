import type { DatasetName } from '../record/datasets.js';
import { STAGE_SCHEMES } from '../aws/partition.js';
import { OBJECT_NAMES, qualified, type SnowflakeObjects } from './settings.js';

export interface StageTarget {
  /** Fully qualified pipe name. */
  pipe: string;
  /** The object's path relative to the stage URL (what insertFiles and METADATA$FILENAME use). */
  path: string;
  dataset: DatasetName;
}

/**
 * Where a lake key lands in Snowflake. The stages point at `s3://bucket/<dataset prefix>`, so paths
 * relative to a stage are the lake keys without that prefix; keys outside both datasets (probes) are not ours.
 */
export function stageTarget(objects: SnowflakeObjects, key: string): StageTarget | undefined {
  if (!key.endsWith('.json.gz')) return undefined;
  if (key.startsWith(objects.tracksPrefix))
    return {
      pipe: qualified(objects, OBJECT_NAMES.tracksPipe),
      path: key.slice(objects.tracksPrefix.length),
      dataset: 'tracks',
    };
  if (key.startsWith(objects.episodesPrefix))
    return {
      pipe: qualified(objects, OBJECT_NAMES.episodesPipe),
      path: key.slice(objects.episodesPrefix.length),
      dataset: 'episodes',
    };
  return undefined;
}

/**
 * A file name as Snowflake reports it (METADATA$FILENAME, COPY_HISTORY FILE_NAME) back to the lake key:
 * names may be relative to the stage or carry the bucket URL; both are accepted.
 */
export function lakeKeyOf(name: string, bucket: string | undefined, datasetPrefix: string): string {
  let n = name;
  for (const scheme of STAGE_SCHEMES) {
    const url = bucket ? `${scheme}://${bucket}/` : undefined;
    if (url && n.startsWith(url)) n = n.slice(url.length);
  }
  return n.startsWith(datasetPrefix) ? n : `${datasetPrefix}${n}`;
}
