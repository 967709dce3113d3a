import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('one rule for exit codes', () => {
  it('import of a path that does not exist is a usage error: exit 2, naming the path', async () => {
    const cwd = await tempDir();
    const missing = path.join(cwd, 'my_spotify_data.zip');
    const r = await runCli(['import', missing], { cwd, env: { LOG_LEVEL: 'silent' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${missing}: no such file or folder: check the path`);
  });

  it('an import path that exists but holds no history is bad input: exit 1', async () => {
    const cwd = await tempDir();
    await fs.mkdir(path.join(cwd, 'empty'));
    const r = await runCli(['import', path.join(cwd, 'empty')], { cwd, env: { LOG_LEVEL: 'silent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No listening history found');
  });

  it('report with no data, whether the lake is empty or the period is: exit 0, an empty report, a note', async () => {
    const cwd = await tempDir();
    for (const args of [
      ['report', '--out', 'all.html'],
      ['report', '--out', 'y.html', '--year', '2019'],
    ]) {
      const r = await runCli(args, { cwd, env: { LOG_LEVEL: 'silent' } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/note: .*the report is empty|note: the report is empty/);
      expect(r.stdout).toContain('Report written to');
      expect((await fs.stat(path.join(cwd, args[2]!))).size).toBeGreaterThan(0);
    }
  });

  it('--help marks the required options, in the usage line and in their description', async () => {
    const cwd = await tempDir();
    const backfill = await runCli(['backfill', '--help'], { cwd, env: {} });
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toContain('Usage: spotify-pipeline backfill --days <n> [options]');
    expect(backfill.stdout).toMatch(/--days <n>\s+how many days back \(required\)/);
    const report = await runCli(['report', '--help'], { cwd, env: {} });
    expect(report.stdout).toContain('Usage: spotify-pipeline report --out <file> [options]');
    expect(report.stdout).toMatch(/--out <file>\s+the HTML file to write, e\.g\. report\.html \(required\)/);
    // Options that are not required are not marked.
    expect(report.stdout).not.toMatch(/--year <yyyy>.*\(required\)/);
  });
});
