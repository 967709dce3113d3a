import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '../lake/object-store.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { makeDirectory } from '../fs/folders.js';

/**
 * Gives DuckDB a local file for each lake object. A local lake is read in place; S3 objects are fetched
 * with the AWS SDK into a cache folder (DuckDB's httpfs cannot be assumed) and removed once loaded.
 */
export interface ObjectSource {
  /** Local paths of `keys`, in the same order. */
  materialize(keys: readonly string[]): Promise<string[]>;
  /** Frees what `materialize` fetched. */
  release(paths: readonly string[]): Promise<void>;
}

function localSource(localPath: (key: string) => string): ObjectSource {
  return {
    materialize: async (keys) => keys.map(localPath),
    release: async () => {},
  };
}

const FETCH_CONCURRENCY = 8;

function cachedSource(store: ObjectStore, cacheDir: string): ObjectSource {
  return {
    async materialize(keys) {
      await makeDirectory(cacheDir, 0o700);
      const paths = keys.map((key) => {
        // A flat, collision-free name that keeps the .json.gz ending DuckDB and error messages rely on.
        const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
        return path.join(cacheDir, `${id}_${path.posix.basename(key)}`);
      });
      try {
        await forEachConcurrently(keys, FETCH_CONCURRENCY, async (key, i) => {
          await fs.writeFile(paths[i]!, await store.get(key));
        });
      } catch (err) {
        await Promise.all(paths.map((p) => fs.rm(p, { force: true })));
        throw err;
      }
      return paths;
    },
    async release(paths) {
      await Promise.all(paths.map((p) => fs.rm(p, { force: true })));
    },
  };
}

export function objectSource(store: ObjectStore, cacheDir: string): ObjectSource {
  return store.localPath ? localSource(store.localPath.bind(store)) : cachedSource(store, cacheDir);
}
