import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StorageSettings } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { EPISODE_DATASET_PREFIX } from '../record/episode-schema.js';
import { createFileExclusive, createFilesExclusive, removeTempFilesUnder } from '../fs/fs-atomic.js';
import type { ObjectStore, StoredObject } from './object-store.js';

/** The lake in a local folder. Objects appear under their final name only when complete. */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  constructor(private readonly root: string) {
    this.location = root;
  }

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`Key escapes the lake: ${key}`);
    return full;
  }

  async putIfAbsent(key: string, body: Buffer): Promise<'created' | 'exists'> {
    try {
      return (await createFileExclusive(this.pathOf(key), body)) ? 'created' : 'exists';
    } catch (err) {
      throw localWriteError(this.root, err);
    }
  }

  async putManyIfAbsent(
    objects: readonly { key: string; body: Buffer }[],
    options: { beforePublish?: () => Promise<void> },
  ): Promise<('created' | 'exists')[] | undefined> {
    try {
      const created = await createFilesExclusive(
        this.root,
        objects.map((o) => ({ target: this.pathOf(o.key), data: o.body })),
        options.beforePublish,
      );
      return created?.map((c) => (c ? 'created' : 'exists'));
    } catch (err) {
      throw localWriteError(this.root, err);
    }
  }

  localPath(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const start = path.join(this.root, prefix);
    // The prefix may end inside a folder name: list from its folder and filter.
    const baseDir = prefix.endsWith('/') ? start : path.dirname(start);
    try {
      yield* walk(this.root, baseDir, prefix);
    } catch (err) {
      throw localWriteError(this.root, err);
    }
  }
}

async function* walk(root: string, dir: string, prefix: string): AsyncIterable<StoredObject> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    // A missing folder is an empty lake; a file where a folder should be is not.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // temp files of writes in progress
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(root, full, prefix);
    } else if (entry.isFile()) {
      const key = path.relative(root, full).split(path.sep).join('/');
      if (!key.startsWith(prefix)) continue;
      const stat = await fs.stat(full);
      yield { key, size: stat.size, lastModified: stat.mtime };
    }
  }
}

function localWriteError(root: string, err: unknown): PipelineError {
  if (err instanceof PipelineError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new PipelineError(
      `Cannot write to the lake folder ${root} (${code}): make it writable by this user, or point DATA_DIR at a writable folder. Nothing collected was lost: the plays stay queued in STATE_DIR and are written on the next run.`,
      1,
      { cause: err },
    );
  }
  if (code === 'ENOSPC') {
    return new PipelineError(
      `No space left on the device holding ${root}: free some space and run again. The plays stay queued in STATE_DIR.`,
      1,
      { cause: err },
    );
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new PipelineError(
      `The lake path ${root} is not a usable folder (${code}): point DATA_DIR at a folder.`,
      1,
      { cause: err },
    );
  }
  return new PipelineError(`Writing to the lake folder ${root} failed: ${(err as Error).message}`, 1, {
    cause: err,
  });
}

/** Local lakes this process has swept (see sweepOrphanTemps): once per process is enough. */
const swept = new Set<string>();

/**
 * Removes the temp files a killed run left in the local lake's datasets (an S3 lake has none: a put is atomic).
 * Call it holding the STATE_DIR lock, before any write: a process that was still alive would have removed its
 * own temps on failure, so those found now are orphans of a process that died (SIGKILL, power cut). Done once
 * per process (run-continuous holds the lock from its first tick on); returns how many were removed.
 */
export async function sweepOrphanTemps(storage: StorageSettings, log?: Logger): Promise<number> {
  if (storage.bucket || swept.has(storage.dataDir)) return 0;
  let removed = 0;
  try {
    for (const prefix of new Set([storage.prefix, EPISODE_DATASET_PREFIX]))
      removed += await removeTempFilesUnder(path.join(storage.dataDir, prefix));
  } catch (err) {
    throw localWriteError(storage.dataDir, err);
  }
  swept.add(storage.dataDir);
  if (removed > 0)
    log?.info({ removed, lake: storage.dataDir }, 'removed temp files an interrupted run left in the lake');
  return removed;
}
