import { mkdirSync, promises as fs, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConfigError, PipelineError } from '../errors.js';

/**
 * `mkdir -p`: creates `dir` and its missing parents; returns the first folder it created (undefined when `dir`
 * existed), as `fs.mkdir(dir, { recursive: true })` does. Not that call itself: where the kernel answers ENOENT
 * for a folder whose parent exists (procfs: `mkdir /proc/x`), Node's recursive mkdir makes the parent, finds
 * it exists, and tries again, forever (a CPU-bound hang with no output). Here each level is tried at most
 * twice. A stat first: the common case, a folder that exists, is one call and no exception.
 */
export async function makeDirectory(dir: string, mode = 0o777): Promise<string | undefined> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat) return existingFolder(dir, stat.isDirectory());
  try {
    await fs.mkdir(dir, { mode });
    return dir;
  } catch (err) {
    if (codeOf(err) === 'EEXIST') return existingFolder(dir, (await fs.stat(dir)).isDirectory());
    if (codeOf(err) !== 'ENOENT') throw err;
  }
  const parent = path.dirname(dir);
  if (parent === dir) throw noSuchFolder(dir);
  const made = await makeDirectory(parent, mode);
  try {
    await fs.mkdir(dir, { mode });
  } catch (err) {
    // Made meanwhile by someone else is fine; ENOENT again with the parent in place is the procfs case.
    if (codeOf(err) === 'EEXIST') return existingFolder(dir, (await fs.stat(dir)).isDirectory()) ?? made;
    throw err;
  }
  return made ?? dir;
}

/** makeDirectory, synchronously (for code that writes a batch of files with synchronous calls). */
export function makeDirectorySync(dir: string, mode = 0o777): string | undefined {
  const stat = statOrUndefined(dir);
  if (stat) return existingFolder(dir, stat.isDirectory());
  try {
    mkdirSync(dir, { mode });
    return dir;
  } catch (err) {
    if (codeOf(err) === 'EEXIST') return existingFolder(dir, statSync(dir).isDirectory());
    if (codeOf(err) !== 'ENOENT') throw err;
  }
  const parent = path.dirname(dir);
  if (parent === dir) throw noSuchFolder(dir);
  const made = makeDirectorySync(parent, mode);
  try {
    mkdirSync(dir, { mode });
  } catch (err) {
    if (codeOf(err) === 'EEXIST') return existingFolder(dir, statSync(dir).isDirectory()) ?? made;
    throw err;
  }
  return made ?? dir;
}

/** stat, or undefined when there is nothing at `dir` (or a file stands in its path: mkdir then says so). */
function statOrUndefined(dir: string): Stats | undefined {
  try {
    return statSync(dir, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function existingFolder(dir: string, isDirectory: boolean): undefined {
  if (isDirectory) return undefined;
  // A file where the folder should be: ENOTDIR, as opening a path through it would say.
  throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', path: dir });
}

function noSuchFolder(dir: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${dir}'`), {
    code: 'ENOENT',
    path: dir,
  });
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** How a folder is known to the user, for messages: the setting and its flag, or a flag alone. */
export interface FolderSetting {
  /** `DATA_DIR (--data-dir)`, `--dir`... */
  name: string;
  /** What to point elsewhere: `point DATA_DIR at`, `give --dir`... */
  fix: string;
}

export const DATA_DIR_SETTING: FolderSetting = {
  name: 'DATA_DIR (--data-dir)',
  fix: 'point DATA_DIR (or --data-dir) at a folder this user can write',
};
export const STATE_DIR_SETTING: FolderSetting = {
  name: 'STATE_DIR (--state-dir)',
  fix: 'point STATE_DIR (or --state-dir) at a folder this user can write',
};

/**
 * The user's words for why `dir` cannot be used (from the error a mkdir or write in it gave), naming the
 * folder and the fix. A configuration error (exit 2): running again changes nothing until the setting or the
 * folder does. Errors that are not about the folder (no errno code) are returned as they are.
 */
export function folderError(dir: string, setting: FolderSetting, err: unknown): unknown {
  if (err instanceof PipelineError) return err;
  const code = codeOf(err);
  if (code === undefined) return err;
  const where = `${setting.name} ${dir}`;
  const problem = (() => {
    switch (code) {
      case 'EROFS':
        return `is on a read-only file system (EROFS): ${setting.fix}, or remount that file system read-write.`;
      case 'EACCES':
      case 'EPERM': {
        const parent = existingAncestor(dir);
        return parent === dir
          ? `is not writable by this user (${code}): fix its permissions (for example \`chown -R $(id -un) ${dir}\`), or ${setting.fix}.`
          : `cannot be created: this user may not write in ${parent} (${code}): create the folder with the right owner, or ${setting.fix}.`;
      }
      case 'ENOTDIR':
      case 'EEXIST':
        return `cannot be a folder: ${fileInPath(dir) ?? 'a part of that path'} is a file (${code}): ${setting.fix}.`;
      case 'ENOENT':
        return `cannot be created: the file system holding it does not allow new folders there (a virtual file system such as /proc or /sys?): ${setting.fix}.`;
      case 'ENOSPC':
      case 'EDQUOT':
        return `is on a full disk (${code}): free some space, or ${setting.fix}.`;
      default:
        return `cannot be used (${code}: ${(err as Error).message}): ${setting.fix}.`;
    }
  })();
  return new ConfigError(`${where} ${problem}`, { cause: err });
}

/** `dir` or its nearest parent that exists. */
function existingAncestor(dir: string): string {
  let d = dir;
  while (statOrUndefined(d) === undefined && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** The file standing where `dir` or one of its parents should be a folder, if any. */
function fileInPath(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const stat = statOrUndefined(d);
    if (stat && !stat.isDirectory()) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * Makes sure `dir` exists and can be written, before a command starts work that needs it: creates it (and its
 * parents) with `mode`, then creates and removes a hidden probe file in it. Fails at once, with folderError's
 * message, instead of part-way through (or, on /proc, never).
 */
export async function requireWritableFolder(
  dir: string,
  setting: FolderSetting,
  mode = 0o700,
): Promise<void> {
  try {
    await makeDirectory(dir, mode);
    const probe = path.join(dir, `.spotify-pipeline-probe-${process.pid}`);
    const handle = await fs.open(probe, 'w', 0o600);
    await handle.close();
    await fs.rm(probe, { force: true });
  } catch (err) {
    throw folderError(dir, setting, err);
  }
}

/** The configured folders a command writes to: STATE_DIR, and the lake when it is the local DATA_DIR. */
export type ConfiguredFolder = 'state' | 'lake';

/** requireWritableFolder for the configured folders a command is about to write to. */
export async function requireConfiguredFolders(
  config: Config,
  folders: readonly ConfiguredFolder[],
): Promise<void> {
  // An s3:// state needs no local folder (a container with no disk).
  if (folders.includes('state') && config.state.kind === 'local')
    await requireWritableFolder(config.state.dir, STATE_DIR_SETTING, 0o700);
  // Lake folders get the default mode, as the lake's own writes make them (objects are 0644).
  if (folders.includes('lake') && !config.storage.bucket)
    await requireWritableFolder(config.storage.dataDir, DATA_DIR_SETTING, 0o777);
}
