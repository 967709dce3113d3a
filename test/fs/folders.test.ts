import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  DATA_DIR_SETTING,
  folderError,
  makeDirectory,
  makeDirectorySync,
  requireWritableFolder,
  STATE_DIR_SETTING,
} from '../../src/fs/folders.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { CLI, cleanEnv, tempDir, type CliResult } from '../helpers/cli.js';
import { play } from '../helpers/records.js';
import { writePlays } from '../warehouse/lake-fixture.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const d = await tempDir('spp-folders-');
  dirs.push(d);
  return d;
}

const errno = (code: string, at = '/somewhere') =>
  Object.assign(new Error(`${code}: some system text, mkdir '${at}'`), { code, path: at });

/**
 * Runs the CLI; a run still going after 30 s is killed and reported as hung (the bug this file guards against
 * is a mkdir that never returns), so a regression fails instead of stalling the suite.
 */
function runGuarded(args: string[], cwd: string): Promise<CliResult & { hung: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv({ LOG_LEVEL: 'warn' }) });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 30_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

async function exportFile(cwd: string): Promise<string> {
  const file = path.join(cwd, 'Streaming_History_Audio_2024.json');
  await fs.writeFile(
    file,
    JSON.stringify([
      {
        ts: '2024-01-15T14:30:00Z',
        username: 'alice',
        ms_played: 200000,
        master_metadata_track_name: 'Song',
        master_metadata_album_artist_name: 'Artist',
        spotify_track_uri: 'spotify:track:0123456789abcdefghijkl',
      },
    ]),
  );
  return file;
}

describe('makeDirectory (mkdir -p that cannot loop)', () => {
  it('makes missing parents and says which folder it made first, like recursive mkdir', async () => {
    const root = await scratch();
    const deep = path.join(root, 'a', 'b', 'c');
    expect(await makeDirectory(deep)).toBe(path.join(root, 'a'));
    expect(await makeDirectory(deep)).toBeUndefined();
    expect(makeDirectorySync(path.join(root, 'x', 'y'))).toBe(path.join(root, 'x'));
    expect(makeDirectorySync(path.join(root, 'x', 'y'))).toBeUndefined();
    expect((await fs.stat(deep)).isDirectory()).toBe(true);
  });

  it('fails with ENOENT under /proc, where the kernel refuses new folders (recursive mkdir retries forever)', async () => {
    await expect(makeDirectory('/proc/spotify-lake/2024')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => makeDirectorySync('/proc/spotify-lake/2024')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });

  it('fails with ENOTDIR when a file stands in the path', async () => {
    const root = await scratch();
    await fs.writeFile(path.join(root, 'file'), 'x');
    await expect(makeDirectory(path.join(root, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDirectory(path.join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(() => makeDirectorySync(path.join(root, 'file', 'sub'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
  });
});

describe('folderError: what an unusable folder means, in words', () => {
  it('says read-only for EROFS, with the setting and the fix, as a configuration error (exit 2)', () => {
    const err = folderError('/mnt/ro/lake', DATA_DIR_SETTING, errno('EROFS', '/mnt/ro/lake'));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      'DATA_DIR (--data-dir) /mnt/ro/lake is on a read-only file system (EROFS): point DATA_DIR (or --data-dir) at a folder this user can write, or remount that file system read-write.',
    );
  });

  it('says not writable for EACCES and EPERM, naming the folder it would have been made in', async () => {
    const root = await scratch();
    const existing = folderError(root, STATE_DIR_SETTING, errno('EACCES', root)) as Error;
    expect(existing.message).toContain(
      `STATE_DIR (--state-dir) ${root} is not writable by this user (EACCES)`,
    );
    expect(existing.message).toContain('point STATE_DIR (or --state-dir) at a folder this user can write');
    const missing = path.join(root, 'new', 'state');
    const made = folderError(missing, STATE_DIR_SETTING, errno('EPERM', missing)) as Error;
    expect(made.message).toContain(
      `${missing} cannot be created: this user may not write in ${root} (EPERM)`,
    );
  });

  it('names the file in the way for ENOTDIR, and the virtual file system for ENOENT', async () => {
    const root = await scratch();
    await fs.writeFile(path.join(root, 'f'), 'x');
    const under = path.join(root, 'f', 'lake');
    expect((folderError(under, DATA_DIR_SETTING, errno('ENOTDIR', under)) as Error).message).toContain(
      `cannot be a folder: ${path.join(root, 'f')} is a file (ENOTDIR)`,
    );
    expect((folderError('/proc/x', DATA_DIR_SETTING, errno('ENOENT')) as Error).message).toContain(
      'does not allow new folders there (a virtual file system such as /proc or /sys?)',
    );
  });

  it('leaves errors that are not about a folder alone', () => {
    const bug = new TypeError('not a folder problem');
    expect(folderError('/x', DATA_DIR_SETTING, bug)).toBe(bug);
  });

  it('requireWritableFolder makes the folder and leaves no probe file behind', async () => {
    const root = await scratch();
    const dir = path.join(root, 'state');
    await requireWritableFolder(dir, STATE_DIR_SETTING);
    expect(await fs.readdir(dir)).toEqual([]);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe('impossible DATA_DIR / STATE_DIR fail at once, naming the folder (exit 2)', () => {
  it('import into --data-dir /proc/spotify-lake (used to spin forever in mkdir)', async () => {
    const cwd = await scratch();
    const file = await exportFile(cwd);
    const r = await runGuarded(['--data-dir', '/proc/spotify-lake', 'import', file], cwd);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATA_DIR (--data-dir) /proc/spotify-lake cannot be created');
    expect(r.stderr).not.toContain('unexpected failure');
  });

  it('import with --state-dir under /proc', async () => {
    const cwd = await scratch();
    const file = await exportFile(cwd);
    const r = await runGuarded(['--state-dir', '/proc/spotify-state', 'import', file], cwd);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('STATE_DIR (--state-dir) /proc/spotify-state cannot be created');
  });

  it('setup with --state-dir under /proc, before any question or .env write', async () => {
    const cwd = await scratch();
    const r = await runGuarded(
      [
        '--state-dir',
        '/proc/spotify-state',
        'setup',
        '--yes',
        '--client-id',
        'abc',
        '--skip-login',
        '--skip-test',
      ],
      cwd,
    );
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('STATE_DIR (--state-dir) /proc/spotify-state cannot be created');
    await expect(fs.access(path.join(cwd, '.env'))).rejects.toThrow();
  });

  it('run-once with DATA_DIR under a regular file, before any work', async () => {
    const cwd = await scratch();
    const file = await exportFile(cwd);
    const r = await runGuarded(['--data-dir', path.join(file, 'lake'), 'run-once'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `DATA_DIR (--data-dir) ${path.join(file, 'lake')} cannot be a folder: ${file} is a file`,
    );
  });

  it('stats with STATE_DIR under /proc (the warehouse folder)', async () => {
    const cwd = await scratch();
    // A play in the lake: on an empty lake stats needs no warehouse file, so no folder (a fresh folder stays as it was).
    await writePlays(new LocalObjectStore(path.join(cwd, 'data')), [play('2024-03-01T10:00:00Z')]);
    const r = await runGuarded(['--state-dir', '/proc/spotify-state', 'stats'], cwd);
    expect(r.hung).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/proc/spotify-state/warehouse cannot be created');
    expect(r.stderr).not.toContain('unexpected failure');
  });

  it.each(['/proc/spotify-demo', '/sys/kernel/spotify-demo'])(
    'demo --dir %s: says why, no stack trace',
    async (dir) => {
      const cwd = await scratch();
      const r = await runGuarded(['demo', '--dir', dir, '--plays', '50'], cwd);
      expect(r.hung).toBe(false);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`The demo folder (--dir) ${dir} cannot be created`);
      expect(r.stderr).toContain('give --dir a folder this user can write');
      expect(r.stderr).not.toContain('unexpected failure');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
