import path from 'node:path';
import type { Config } from '../config.js';
import { ConfigError, PipelineError } from '../errors.js';
import { DATA_DIR_SETTING, STATE_DIR_SETTING, type FolderSetting } from '../fs/folders.js';

/**
 * Errors the machine gives (a file another user owns, a full disk, a read-only file system): the user's
 * environment, not a bug of this tool. They are reported as what they are, naming the file and the fix, with
 * no stack trace. Permission and file-type problems are configuration (exit 2: nothing changes until the
 * folder or the setting does); the rest fail the run (exit 1).
 */
const CONFIGURATION_CODES = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EISDIR',
  'ELOOP',
  'ENAMETOOLONG',
]);
const RUN_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOENT', 'EBUSY']);

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  scandir: 'list',
  opendir: 'list',
  mkdir: 'create',
  write: 'write',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  stat: 'look at',
  lstat: 'look at',
  access: 'use',
  copyfile: 'copy',
  chmod: 'change the mode of',
};

/** The configured folder (state or lake) that holds `file`, if any: its setting is the fix to name. */
function folderHolding(
  file: string,
  config: Config | undefined,
): { dir: string; setting: FolderSetting } | undefined {
  if (!config) return undefined;
  const candidates: { dir: string; setting: FolderSetting }[] = [];
  if (config.state.kind === 'local') candidates.push({ dir: config.state.dir, setting: STATE_DIR_SETTING });
  candidates.push({ dir: config.stateDir, setting: STATE_DIR_SETTING });
  if (!config.storage.bucket) candidates.push({ dir: config.storage.dataDir, setting: DATA_DIR_SETTING });
  return candidates.find(({ dir }) => {
    const rel = path.relative(dir, file);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/** `err` as a user-facing error when it is the environment's doing, else undefined (a bug, reported as one). */
export function environmentError(err: unknown, config?: Config): PipelineError | undefined {
  if (err instanceof PipelineError) return undefined;
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (!code || !(CONFIGURATION_CODES.has(code) || RUN_CODES.has(code))) return undefined;
  const file = e.path;
  if (!file) return undefined;
  const verb = VERBS[e.syscall ?? ''] ?? 'use';
  const folder = folderHolding(path.resolve(file), config);
  const fix = (() => {
    switch (code) {
      case 'EACCES':
      case 'EPERM':
        return folder
          ? `it belongs to another user or has the wrong mode (was the tool once run with sudo?): give it back to this user, for example \`sudo chown -R $(id -un) ${folder.dir}\`, or ${folder.setting.fix}`
          : `fix its permissions, or run as the user who owns it`;
      case 'EROFS':
        return `the file system is read-only${folder ? `: ${folder.setting.fix}` : ''}`;
      case 'ENOSPC':
      case 'EDQUOT':
        return 'the disk is full: free some space and run again';
      case 'EMFILE':
      case 'ENFILE':
        return 'too many files are open: raise the limit (`ulimit -n`) and run again';
      case 'ENOENT':
        return 'it was removed while the command ran, or a folder in its path is missing: run again';
      default:
        return folder ? folder.setting.fix : 'check the path';
    }
  })();
  const where = folder ? ` (in ${folder.setting.name} ${folder.dir})` : '';
  const message = `Cannot ${verb} ${file}${where}: ${code}, ${fix}.`;
  return CONFIGURATION_CODES.has(code)
    ? new ConfigError(message, { cause: err })
    : new PipelineError(message, 1, { cause: err });
}
