import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { pidScope, processAlive } from '../util/process-alive.js';
import { makeDirectory } from '../fs/folders.js';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started_at: string;
  /** The kernel boot and PID namespace `pid` belongs to (Linux): a PID means nothing certain outside them. */
  boot?: string;
  pidns?: string;
}

/**
 * One writer per STATE_DIR: two processes appending to the same ledger could write a play twice.
 * The lock file holds the owner's PID; a lock whose process is gone (crash, SIGKILL) is taken over.
 */
export class StateLock {
  private constructor(
    private readonly file: string,
    readonly info: LockInfo,
  ) {}

  static async acquire(stateDir: string, command: string): Promise<StateLock> {
    await makeDirectory(stateDir, 0o700);
    const file = path.join(stateDir, 'pipeline.lock');
    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      command,
      started_at: new Date().toISOString(),
      ...pidScope(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(file, JSON.stringify(info), { flag: 'wx', mode: 0o600 });
        return new StateLock(file, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new PipelineError(
            `Cannot create the lock file in STATE_DIR ${stateDir} (${(err as NodeJS.ErrnoException).code}): make the folder writable, or point STATE_DIR at a writable folder.`,
            1,
            { cause: err },
          );
        }
      }
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(await fs.readFile(file, 'utf8')) as LockInfo;
      } catch {
        holder = undefined; // half-written by a process that died while creating it
      }
      // Its PID is judged only from its own boot and PID namespace (not from a container beside it).
      const judgeable =
        !holder ||
        (holder.host === info.host &&
          holder.boot !== undefined &&
          holder.boot === info.boot &&
          holder.pidns === info.pidns);
      if (holder && (!judgeable || processAlive(holder.pid))) {
        throw new PipelineError(
          `Another spotify-pipeline is already using STATE_DIR ${stateDir}: PID ${holder.pid} on ${holder.host}, \`${holder.command}\`, since ${holder.started_at}. Stop it first (or wait for it to finish), or give this one another STATE_DIR. If that process is surely gone, delete ${file}.`,
          1,
        );
      }
      await fs.rm(file, { force: true }); // stale: its owner is dead
    }
    throw new PipelineError(
      `Could not take the lock ${file}: another process keeps taking it. Try again.`,
      1,
    );
  }

  async release(): Promise<void> {
    try {
      const current = JSON.parse(await fs.readFile(this.file, 'utf8')) as LockInfo;
      if (current.pid === this.info.pid) await fs.rm(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}
