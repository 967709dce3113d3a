import { promises as fs } from 'node:fs';
import type { DuckDBInstance } from '@duckdb/node-api';
import { PipelineError, errorMessage } from '../errors.js';

/**
 * Opens the warehouse's DuckDB file: private to this user (the file holds the whole listening history), and
 * waiting a little for another process that holds DuckDB's file lock.
 */
export async function openDuckDbFile(
  file: string,
  resources: Record<string, string>,
  options: { readOnly?: boolean; lockWaitMs: number },
): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  let instance: DuckDBInstance | undefined;
  // Another command (a `stats` in another terminal) may hold DuckDB's file lock for a moment: wait a little.
  const deadline = Date.now() + options.lockWaitMs;
  while (!instance) {
    // DuckDB creates its file with the process umask (0644 as a rule), while everything else in STATE_DIR is
    // 0600 in 0700 folders, and this file holds the whole listening history: created under umask 077.
    // (Its .wal, which exists only while writes are pending, is made under whatever umask holds then, in the
    // 0700 folder.)
    const umask = options.readOnly ? undefined : process.umask(0o077);
    let failure: unknown;
    try {
      instance = await DuckDBInstance.create(
        file,
        options.readOnly ? { ...resources, access_mode: 'READ_ONLY' } : resources,
      );
    } catch (err) {
      failure = err;
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
    if (!instance) {
      if (!isLockConflict(failure) || Date.now() >= deadline) throw openError(file, failure);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  // A warehouse made by an earlier version is 0644: brought in line (it is ours; a failure changes nothing).
  if (!options.readOnly) await fs.chmod(file, 0o600).catch(() => {});
  return instance;
}

function isLockConflict(err: unknown): boolean {
  return /Could not set lock|Conflicting lock/i.test(errorMessage(err));
}

function openError(file: string, err: unknown): PipelineError {
  const message = errorMessage(err);
  if (isLockConflict(err)) {
    return new PipelineError(
      `The warehouse ${file} is in use by another spotify-pipeline process (${message.split('\n')[0]}). Wait for it to finish and run again.`,
      1,
      { cause: err },
    );
  }
  return new PipelineError(
    `Cannot open the warehouse ${file}: ${message}. It is rebuilt from the lake when deleted: remove it and run again.`,
    1,
    { cause: err },
  );
}
