import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StorageSettings } from '../config.js';
import { parseObjectKey } from '../lake/layout.js';
import type { ObjectStore, StoredObject } from '../lake/object-store.js';
import type { TableSpec } from './columns.js';

/** A lake object of a dataset; size and time are filled in only for objects about to be loaded. */
export interface LakeObject {
  key: string;
  size?: number;
  lastModified?: Date;
}

function isDatasetObject(key: string, spec: TableSpec): boolean {
  return key.startsWith(spec.prefix) && parseObjectKey(key)?.filePrefix === spec.filePrefix;
}

/**
 * The dataset's objects in the lake; other files (probes, temp files of writes in progress, foreign files) are
 * left alone. A local lake is listed by names only (one recursive readdir, no stat per file): the incremental
 * refresh of a lake of thousands of objects must stay well under a second.
 */
export async function listDataset(
  storage: StorageSettings,
  store: ObjectStore,
  spec: TableSpec,
): Promise<LakeObject[]> {
  if (!storage.bucket) {
    const base = path.join(storage.dataDir, spec.prefix);
    let names: string[];
    try {
      names = await fs.readdir(base, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .map((name) => spec.prefix + name.split(path.sep).join('/'))
      .filter((key) => !key.split('/').some((part) => part.startsWith('.')) && isDatasetObject(key, spec))
      .sort()
      .map((key) => ({ key }));
  }
  const out: StoredObject[] = [];
  for await (const object of store.list(spec.prefix)) if (isDatasetObject(object.key, spec)) out.push(object);
  return out;
}

/** Fills in size and modification time of local objects (S3 listings carry them already). */
export async function describeObjects(
  storage: StorageSettings,
  objects: LakeObject[],
): Promise<LakeObject[]> {
  if (storage.bucket) return objects;
  return Promise.all(
    objects.map(async (o) => {
      try {
        const stat = await fs.stat(path.join(storage.dataDir, ...o.key.split('/')));
        return { ...o, size: stat.size, lastModified: stat.mtime };
      } catch {
        return o; // gone since the listing: read_json names it if it is still missing
      }
    }),
  );
}
