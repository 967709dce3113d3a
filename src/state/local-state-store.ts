import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { PipelineError } from '../errors.js';
import { withRetries, type RetryPolicy } from '../net/retry.js';
import { folderError, makeDirectory, STATE_DIR_SETTING, type FolderSetting } from '../fs/folders.js';
import { fsyncDir, replaceFilesAtomic, writeFileAtomic, writeTempBeside } from '../fs/fs-atomic.js';
import { StateConflictError, type StateObject, type StateStore } from './state-store.js';

/** A file's version: a new file (every write is a rename or link of a fresh temp file) is a new inode. */
function versionOf(st: Stats): string {
  return `${st.ino}-${st.size}-${st.mtimeMs}`;
}

/** How long a replace waits for another process's replace of the same key before calling it stale. */
const MUTEX_STALE_MS = 10_000;

/** Another process's replace of the key holds it for milliseconds: short waits, and no giving up (see above). */
const MUTEX_WAIT: RetryPolicy = { maxRetries: Infinity, baseDelayMs: 5, maxDelayMs: 200, jitter: 'none' };

/**
 * The state in a local folder (STATE_DIR): each key is a file, written atomically (temp file + fsync +
 * rename) with mode 0600 in folders of mode 0700, exactly the files earlier versions wrote.
 */
export class LocalStateStore implements StateStore {
  readonly kind = 'local' as const;
  readonly location: string;

  /**
   * `describe` names the folder in messages: the setting that chose it (STATE_DIR; DATA_DIR for the lease).
   */
  constructor(
    readonly root: string,
    private readonly describe: FolderSetting = STATE_DIR_SETTING,
  ) {
    this.location = root;
  }

  /** Runs a write, turning a filesystem failure into a message that names the folder and the fix. */
  private async writing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StateConflictError || err instanceof PipelineError) throw err;
      throw folderError(this.root, this.describe, err) as Error;
    }
  }

  fileOf(key: string): string {
    if (key.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`not a state key: ${key}`);
    }
    return path.join(this.root, ...key.split('/'));
  }

  async read(key: string): Promise<StateObject | undefined> {
    const file = this.fileOf(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ENOTDIR') throw folderError(this.root, this.describe, err) as Error;
      throw unreadable(file, err);
    }
    try {
      const st = await handle.stat();
      const body = await handle.readFile();
      return { body, version: versionOf(st) };
    } catch (err) {
      throw unreadable(file, err);
    } finally {
      await handle.close();
    }
  }

  async create(key: string, body: Buffer | string): Promise<string | undefined> {
    return this.writing(() => this.createFile(key, body));
  }

  private async createFile(key: string, body: Buffer | string): Promise<string | undefined> {
    const file = this.fileOf(key);
    await this.mkdirFor(file);
    const tmp = await writeTempBeside(file, body, 0o600);
    try {
      // A hard link fails when the name is taken, unlike rename: create-if-absent in one step.
      await fs.link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    await fsyncDir(path.dirname(file));
    return versionOf(await fs.stat(file));
  }

  async replace(key: string, body: Buffer | string, ifVersion: string): Promise<string> {
    return this.writing(() => this.replaceFile(key, body, ifVersion));
  }

  private async replaceFile(key: string, body: Buffer | string, ifVersion: string): Promise<string> {
    const file = this.fileOf(key);
    // Compare and rename under a per-key mutex (an exclusive create), so that two processes replacing one key
    // (two runs contending for the lake's lease) cannot both see the old version.
    const mutex = path.join(path.dirname(file), `.${path.basename(file)}.cas`);
    await this.lock(mutex);
    try {
      const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (!st || versionOf(st) !== ifVersion) throw new StateConflictError(key);
      await writeFileAtomic(file, body, 0o600);
      return versionOf(await fs.stat(file));
    } finally {
      await fs.rm(mutex, { force: true });
    }
  }

  async put(key: string, body: Buffer | string): Promise<string> {
    const file = this.fileOf(key);
    return this.writing(async () => {
      await writeFileAtomic(file, body, 0o600);
      return versionOf(await fs.stat(file));
    });
  }

  async putMany(entries: readonly { key: string; body: Buffer | string }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.writing(() =>
      replaceFilesAtomic(
        this.root,
        entries.map((e) => ({ target: this.fileOf(e.key), data: e.body })),
      ),
    );
  }

  async list(prefix: string): Promise<string[]> {
    // The folder part of the prefix is walked; the rest filters names.
    const slash = prefix.lastIndexOf('/');
    const folder = slash < 0 ? '' : prefix.slice(0, slash + 1);
    const out: string[] = [];
    const walk = async (rel: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(path.join(this.root, ...rel.split('/').filter(Boolean)), {
          withFileTypes: true,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const key = `${rel}${e.name}`;
        if (e.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) await walk(`${key}/`);
        } else if (key.startsWith(prefix)) {
          out.push(key);
        }
      }
    };
    await walk(folder);
    return out.sort();
  }

  async delete(key: string, ifVersion?: string): Promise<void> {
    const file = this.fileOf(key);
    if (ifVersion !== undefined) {
      const current = await this.read(key);
      if (current && current.version !== ifVersion) throw new StateConflictError(key);
    }
    await fs.rm(file, { force: true });
  }

  /** Appends to a log file with one write (O_APPEND: a short line never interleaves), then fsyncs it. */
  async append(key: string, text: string): Promise<void> {
    const file = this.fileOf(key);
    await this.writing(async () => {
      await this.mkdirFor(file);
      const handle = await fs.open(file, 'a', 0o600);
      try {
        await handle.write(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  private async mkdirFor(file: string): Promise<void> {
    await makeDirectory(path.dirname(file), 0o700);
  }

  private async lock(mutex: string): Promise<void> {
    await this.mkdirFor(mutex);
    await withRetries(
      async () => {
        try {
          await fs.writeFile(mutex, String(process.pid), { flag: 'wx', mode: 0o600 });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          const st = await fs.stat(mutex).catch(() => undefined);
          // A process killed between its exclusive create and its rm leaves the mutex behind.
          if (st && Date.now() - st.mtimeMs > MUTEX_STALE_MS) await fs.rm(mutex, { force: true });
          throw err;
        }
      },
      { policy: MUTEX_WAIT, isTransient: (err) => (err as NodeJS.ErrnoException).code === 'EEXIST' },
    );
  }
}

function unreadable(file: string, err: unknown): PipelineError {
  const code = (err as NodeJS.ErrnoException).code;
  return new PipelineError(
    `Cannot read the state file ${file} (${code ?? (err as Error).message}): fix its permissions so this user can read it. Nothing was changed.`,
    1,
    { cause: err },
  );
}
