import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { runCli, startCli, tempDir } from '../helpers/cli.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** stdout of a `--json` run: exactly one line, one JSON object. */
function theOneObject(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  const value = JSON.parse(lines[0]!) as unknown;
  expect(value).toBeTypeOf('object');
  return value as Record<string, unknown>;
}

describe('every --json run prints one JSON object on stdout, failures included', () => {
  it('run-once --json refused by the lock of another run', async () => {
    const cwd = await tempDir();
    const exportDir = path.join(cwd, 'export');
    await generateExport(exportDir, { plays: 200, seed: 1, accountDataDays: 0 });
    // An import that holds the STATE_DIR lock, stopped after its first batch.
    const holder = startCli(['import', exportDir], {
      cwd,
      env: { SPOTIFY_PIPELINE_PAUSE_AT: 'import-after-batch', LOG_LEVEL: 'warn' },
    });
    children.push(holder);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      holder.stderr!.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('PAUSED AT import-after-batch')) resolve();
      });
      holder.on('close', () => reject(new Error(`the import ended without pausing:\n${seen}`)));
    });

    const r = await runCli(['run-once', '--json'], {
      cwd,
      env: { SPOTIFY_CLIENT_ID: 'x', SPOTIFY_REFRESH_TOKEN: 'y', LOG_LEVEL: 'warn' },
    });
    expect(r.code).toBe(1);
    // The run's own summary, with the refusal as its error: the same object a successful run prints.
    expect(theOneObject(r.stdout)).toMatchObject({
      command: 'run-once',
      outcome: 'failed',
      exit_code: 1,
      plays_new: 0,
      errors: [expect.stringContaining('Another spotify-pipeline is already using STATE_DIR')],
    });
  });

  it('a configuration error (an unusable DATA_DIR), with its exit code', async () => {
    const cwd = await tempDir();
    await fs.writeFile(path.join(cwd, 'file'), 'x');
    const r = await runCli(
      ['--data-dir', path.join(cwd, 'file', 'lake'), 'backfill', '--days', '2', '--json'],
      {
        cwd,
        env: {},
      },
    );
    expect(r.code).toBe(2);
    expect(theOneObject(r.stdout)).toMatchObject({
      ok: false,
      command: 'backfill',
      exit_code: 2,
      error: expect.stringContaining('DATA_DIR (--data-dir)'),
    });
  });

  it.each([
    [['run-once', '--json', '--bogus'], "unknown option '--bogus'"],
    [['backfill', '--json'], "required option '--days <n>' not specified"],
    [['stats', '--json', '--tz', 'Mars/Olympus'], '--tz "Mars/Olympus" is not a time zone'],
    [['auth', 'status', '--json', '--account', 'nobody'], ''],
  ])('%j', async (args, error) => {
    const cwd = await tempDir();
    const r = await runCli(args, { cwd, env: {} });
    const object = theOneObject(r.stdout);
    if (r.code !== 0) {
      expect(object).toMatchObject({ ok: false, exit_code: r.code, error: expect.stringContaining(error) });
    }
  });
});
