import { promises as fs, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
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
 * left alone. A local lake is listed by names only, with no stat per file: the incremental refresh of a lake of
 * tens of thousands of objects must stay well under a second. The walk is synchronous on purpose: a long lake
 * has thousands of day folders, and `fs.promises.readdir(..., { recursive: true })` pays a thread-pool round
 * trip per folder (measured in docs/warehouse.md, "Incremental refresh").
 */
export async function listDataset(
  store: ObjectStore,
  spec: TableSpec,
  /** Keys already loaded: valid objects when they were loaded, so their names are not parsed again. */
  known: ReadonlySet<string> = new Set(),
): Promise<LakeObject[]> {
  if (store.localPath) {
    const keys: string[] = [];
    walkNames(store.localPath(spec.prefix), spec.prefix, keys);
    return keys
      .filter((key) => known.has(key) || isDatasetObject(key, spec))
      .sort()
      .map((key) => ({ key }));
  }
  const out: StoredObject[] = [];
  for await (const object of store.list(spec.prefix)) if (isDatasetObject(object.key, spec)) out.push(object);
  return out;
}

/** Appends the keys of the files under `dir` (entries starting with a dot, temp files and folders, skipped). */
function walkNames(dir: string, keyPrefix: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) walkNames(path.join(dir, entry.name), `${keyPrefix}${entry.name}/`, out);
    else out.push(keyPrefix + entry.name);
  }
}

/** Fills in size and modification time of local objects (S3 listings carry them already). */
export async function describeObjects(store: ObjectStore, objects: LakeObject[]): Promise<LakeObject[]> {
  const localPath = store.localPath?.bind(store);
  if (!localPath) return objects;
  return Promise.all(
    objects.map(async (o) => {
      try {
        const stat = await fs.stat(localPath(o.key));
        return { ...o, size: stat.size, lastModified: stat.mtime };
      } catch {
        return o; // gone since the listing: read_json names it if it is still missing
      }
    }),
  );
}
