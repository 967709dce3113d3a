import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, PROJECT_ROOT, tempDir } from '../helpers/cli.js';

const TRACE = path.join(PROJECT_ROOT, 'test', 'helpers', 'trace-imports.mjs');

function importsOf(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', TRACE, CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  const imported = result.stderr
    .split('\n')
    .filter((l) => l.startsWith('IMPORTED '))
    .map((l) => l.slice('IMPORTED '.length));
  return { imported, status: result.status, stdout: result.stdout };
}

describe('start-up cost', () => {
  it('--help loads neither the AWS SDK nor DuckDB (nor pino or zod)', async () => {
    const { imported, status, stdout } = importsOf(['--help'], await tempDir());
    expect(status).toBe(0);
    expect(stdout).toContain('run-once');
    expect(imported.length).toBeGreaterThan(3); // the hook works
    for (const heavy of ['@aws-sdk', '@duckdb', 'pino', 'zod']) {
      expect(imported.filter((u) => u.includes(`/node_modules/${heavy}`))).toEqual([]);
    }
  });

  it('a local-lake run-once never loads the AWS SDK or DuckDB', async () => {
    const { imported, status } = importsOf(['run-once'], await tempDir());
    expect(status).toBe(3); // no account yet
    expect(imported.length).toBeGreaterThan(3); // the hook works
    expect(
      imported.filter((u) => u.includes('/node_modules/@aws-sdk') || u.includes('/node_modules/@duckdb')),
    ).toEqual([]);
  });
});

describe('usage errors', () => {
  it.each([
    [['backfill', '--days', 'abc']],
    [['run-once', '--bogus']],
    [['auth', 'bogus']],
    [['import']],
    [['no-such-command']],
  ])('%j exits 2 with the usage', async (args) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: await tempDir(),
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error:|Usage:/);
  });
});
