import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  lstatSync,
  promises as fs,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { makeDirectory, makeDirectorySync } from './folders.js';
import { pausePoint } from '../util/pause-point.js';
import { findSyncProgram, syncFileSystem } from './sync-fs.js';

/** fsyncs a directory so that a rename or link inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? ''))
      throw err;
  } finally {
    await handle?.close();
  }
}

/** Name prefix of the temp files written beside `target` (hidden, so listings and Snowpipe never see them). */
function tempPrefix(target: string): string {
  return `.${path.basename(target)}.`;
}

/**
 * Removes temp files a killed process left beside `target`. Safe because one writer owns a STATE_DIR and lake
 * names are derived from content: a temp file of this name is an orphan of an earlier attempt at the same write.
 * Synchronous: one small folder listing, done for each of the thousands of files an import writes.
 */
function removeOrphanTemps(target: string): void {
  const dir = path.dirname(target);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const prefix = tempPrefix(target);
  for (const n of names) {
    if (n.startsWith(prefix) && n.endsWith('.tmp')) rmSync(path.join(dir, n), { force: true });
  }
}

/** What tempBeside names are: `.<final name>.<process tag: 12 hex digits><counter, base 36>.tmp`. */
const TEMP_NAME = /^\..+\.[0-9a-f]{12}[0-9a-z]+\.tmp$/;

/**
 * Removes every temp file this module's writes could have left under `dir`, in every folder below it; returns
 * how many. removeOrphanTemps only finds the temps of a write to the same name again, and a write that never
 * became durable is not repeated under the same name (its batch is rebuilt, with another ingested_at, so other
 * names): its temps, complete files of valid records, would stay for good, and anything copying the folder
 * (a sync to S3) would count those plays twice. Only safe while no write is in progress under `dir`: call it
 * holding the STATE_DIR lock, before writing.
 */
export async function removeTempFilesUnder(dir: string): Promise<number> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return 0;
    throw err;
  }
  let removed = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) removed += await removeTempFilesUnder(full);
    else if (entry.isFile() && TEMP_NAME.test(entry.name)) {
      await fs.rm(full, { force: true });
      removed++;
    }
  }
  return removed;
}

/** Random per process, so two processes never pick one temp name (and `wx` refuses one that exists anyway). */
const TEMP_TAG = randomBytes(6).toString('hex');
let tempCount = 0;

/** A fresh temp file name beside `target` (a counter, not random bytes per file: an import names thousands). */
function tempBeside(target: string): string {
  return path.join(path.dirname(target), `${tempPrefix(target)}${TEMP_TAG}${(tempCount++).toString(36)}.tmp`);
}

/** Creates `file`, which must not exist, holding `data`; a file a failed write left half-written is removed. */
function createFileSync(file: string, data: Buffer | string, mode: number): void {
  try {
    writeFileSync(file, data, { flag: 'wx', mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(file, { force: true });
    throw err;
  }
}

/** Writes a temp file beside `target` and fsyncs it; returns its path. */
export async function writeTempBeside(target: string, data: Buffer | string, mode: number): Promise<string> {
  const tmp = tempBeside(target);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return tmp;
}

/**
 * Replaces `target` atomically: readers see the old file or the new one, never a mix, even after a crash.
 * `mode` applies to the new file (0600 for anything holding a token).
 */
export async function writeFileAtomic(target: string, data: Buffer | string, mode = 0o600): Promise<void> {
  await makeDirectory(path.dirname(target), 0o700);
  const tmp = await writeTempBeside(target, data, mode);
  try {
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * writeFileAtomic for several files on the filesystem holding `root`, with two filesystem flushes in all
 * instead of two fsyncs per file: each file is written under a temp name beside its target, the filesystem
 * is flushed (the bytes are on disk), each temp file is renamed over its target, and the filesystem is
 * flushed again (the names are on disk). Each file is old or new, never a mix, whenever a crash strikes.
 * Where the filesystem cannot be flushed as a whole (or for one file), writeFileAtomic each.
 */
export async function replaceFilesAtomic(
  root: string,
  files: readonly { target: string; data: Buffer | string }[],
  mode = 0o600,
): Promise<void> {
  // Made first: the sync program is probed (once per process) on this folder.
  await makeDirectory(root, 0o700);
  if (files.length <= 1 || (await findSyncProgram(root)) === null) {
    await Promise.all(files.map((f) => writeFileAtomic(f.target, f.data, mode)));
    return;
  }
  const staged: string[] = [];
  try {
    for (const { target, data } of files) {
      makeDirectorySync(path.dirname(target), 0o700);
      const tmp = tempBeside(target);
      createFileSync(tmp, data, mode);
      staged.push(tmp);
      chmodSync(tmp, mode); // exactly `mode`, whatever the umask
    }
    await syncFileSystem(root);
    files.forEach(({ target }, i) => renameSync(staged[i]!, target));
  } catch (err) {
    for (const tmp of staged) rmSync(tmp, { force: true });
    throw err;
  }
  await syncFileSystem(root);
}

/**
 * Creates `target` only if it does not exist, atomically (temp file + fsync + hard link, which fails
 * when the name is taken, unlike rename). Returns false when `target` already existed.
 */
export async function createFileExclusive(target: string, data: Buffer, mode = 0o644): Promise<boolean> {
  const dir = path.dirname(target);
  // A folder made just now by this call holds no orphan temp file to look for (an import makes thousands of
  // day folders).
  const made = await makeDirectory(dir);
  if (made === undefined) removeOrphanTemps(target);
  const tmp = await writeTempBeside(target, data, mode);
  // A link, never a rename, even into a folder made just now: another writer of the same key may have made
  // it first, and a rename would replace its file (write-once is the lake's promise).
  try {
    await fs.link(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlinkIfPresent(tmp);
  }
  await fsyncDir(dir);
  // Folders made by this call are entries of their parents: without syncing those too, a power cut could
  // drop the new day (or month, or year) folder, and the object in it, after the ledger already counts it.
  if (made !== undefined) {
    for (let d = path.dirname(dir); ; d = path.dirname(d)) {
      await fsyncDir(d);
      if (d === path.dirname(made) || d === path.dirname(d)) break;
    }
  }
  return true;
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Files staged or published between two turns of the event loop (see createFilesExclusive). */
const FILES_PER_TURN = 64;

/**
 * createFileExclusive for many files at once, as durable as one by one but with two filesystem flushes in
 * all instead of fsyncs per file: every file is first written under a hidden temp name, the filesystem is
 * flushed (the bytes are on disk), then each temp file is given its name (rename in a folder made by this
 * call, else hard link, which fails when the name is taken), and the filesystem is flushed again (the names
 * are on disk). A crash at any point leaves only complete files under their names; temp files left behind
 * are removed by the next write to their folder. `root` must hold every target (one filesystem). Returns,
 * per file, whether it was created (false: it existed), or undefined when the filesystem cannot be flushed
 * as a whole here (then use createFileExclusive).
 *
 * The files are written with synchronous calls, a few dozen per turn of the event loop: with no fsync per
 * file, each call is a few microseconds of kernel work, and as promises (a thread-pool round trip each, five
 * per file) they cost the event loop more than the work itself (an import writes thousands of day files).
 */
export async function createFilesExclusive(
  root: string,
  files: readonly { target: string; data: Buffer }[],
  beforePublish: () => Promise<void> = async () => {},
): Promise<boolean[] | undefined> {
  await makeDirectory(root);
  if ((await findSyncProgram(root)) === null) return undefined;
  const created: boolean[] = new Array(files.length).fill(false);
  const staged: { index: number; tmp: string; rename: boolean }[] = [];
  try {
    await stageAndPublish();
  } catch (err) {
    // Temp files of a write that failed (or was stopped before publishing): no later write may have their names.
    for (const { tmp } of staged) rmSync(tmp, { force: true });
    throw err;
  }
  return created;

  async function stageAndPublish(): Promise<void> {
    await inTurns(files, ({ target, data }, index) => {
      const dir = path.dirname(target);
      const made = makeDirectorySync(dir);
      if (made === undefined) {
        removeOrphanTemps(target);
        if (lstatSync(target, { throwIfNoEntry: false }) !== undefined) return;
      }
      const tmp = tempBeside(target);
      createFileSync(tmp, data, 0o644);
      staged.push({ index, tmp, rename: made !== undefined });
    });
    await syncFileSystem(root);
    // Crash tests stop here: every object staged and flushed, the outboxes perhaps not yet durable.
    await pausePoint('after-stage-files');
    await beforePublish();
    await inTurns(staged, ({ index, tmp, rename }) => {
      const target = files[index]!.target;
      if (rename) {
        renameSync(tmp, target);
        created[index] = true;
        return;
      }
      try {
        linkSync(tmp, target);
        created[index] = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        rmSync(tmp, { force: true });
      }
    });
    await syncFileSystem(root);
  }
}

/** Runs `each` over the items, FILES_PER_TURN at a time, letting the event loop turn in between. */
async function inTurns<T>(items: readonly T[], each: (item: T, index: number) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % FILES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    each(items[i]!, i);
  }
}
