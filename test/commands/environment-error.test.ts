import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentError } from '../../src/commands/environment-error.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError, PipelineError } from '../../src/errors.js';
import { runCli, tempDir } from '../helpers/cli.js';

/** What Node's fs gives for a file another user owns (the same keys as a real one: code, syscall, path). */
function accessDenied(file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EACCES: permission denied, open '${file}'`), {
    errno: -13,
    code: 'EACCES',
    syscall: 'open',
    path: file,
  });
}

describe('errors of the environment, not bugs', () => {
  it('EACCES in the state folder names the file, the folder setting and the fix (exit 2)', async () => {
    const cwd = await tempDir();
    const config = loadConfig({ cwd, env: {} });
    const file = path.join(cwd, '.pipeline', 'history', 'runs.jsonl');
    const err = environmentError(accessDenied(file), config);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toBe(
      `Cannot open ${file} (in STATE_DIR (--state-dir) ${path.join(cwd, '.pipeline')}): EACCES, it belongs to another user or has the wrong mode (was the tool once run with sudo?): give it back to this user, for example \`sudo chown -R $(id -un) ${path.join(cwd, '.pipeline')}\`, or point STATE_DIR (or --state-dir) at a folder this user can write.`,
    );
  });

  it('a real ENOTDIR and ENOSPC are the environment too; an error with no errno code is a bug', async () => {
    const cwd = await tempDir();
    await fs.writeFile(path.join(cwd, 'a-file'), '');
    const real = await fs.readdir(path.join(cwd, 'a-file')).catch((e: unknown) => e);
    const err = environmentError(real);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/^Cannot list .*a-file: ENOTDIR/);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: path.join(cwd, 'x'),
    });
    expect(environmentError(full)).toBeInstanceOf(PipelineError);
    expect(environmentError(full)!.exitCode).toBe(1);
    expect(environmentError(full)!.message).toMatch(/the disk is full/);
    expect(environmentError(new TypeError('x is undefined'))).toBeUndefined();
    expect(environmentError(new ConfigError('already for the user'))).toBeUndefined();
  });

  it('auth status with a state folder it cannot use: a message and exit 2, no stack trace', async () => {
    const cwd = await tempDir();
    await fs.mkdir(path.join(cwd, '.pipeline'));
    await fs.writeFile(path.join(cwd, '.pipeline', 'accounts'), 'not a folder');
    const result = await runCli(['auth', 'status'], { cwd, env: {} });
    expect(result.stderr).not.toContain('a bug');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toContain(`Cannot list ${path.join(cwd, '.pipeline', 'accounts')}`);
    expect(result.code).toBe(2);
  });
});
