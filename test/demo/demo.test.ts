import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { listAllFiles, playIdentities, readLocalLake } from '../helpers/lake.js';

describe('demo', () => {
  it('runs the whole pipeline offline into ./demo-data, never the configured lake, and exactly once on a rerun', async () => {
    const cwd = await tempDir('demo-');
    const env = { DATA_DIR: './my-lake', LOG_LEVEL: 'warn' };
    const first = await runCli(['demo', '--plays', '4000', '--tz', 'UTC'], { cwd, env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/1\/4 generated a sample export: [\d,]+ rows/);
    expect(first.stdout).toContain('2/4 imported into');
    // A first import: nothing was resumed, and "already present" says why (the export's two kinds overlap).
    expect(first.stdout).not.toContain('resumed');
    expect(first.stdout).toMatch(
      /already present: [\d,]+ plays, 0 episodes\n.*Account Data repeats the plays/,
    );
    expect(first.stdout).toContain('Top artists');
    expect(first.stdout).toContain('4/4 wrote the HTML report');

    const lake = await readLocalLake(path.join(cwd, 'demo-data'));
    const plays = playIdentities(lake.filter((f) => f.key.startsWith('spotify_listening_history/')));
    expect(plays.length).toBeGreaterThan(1000);
    expect(new Set(plays).size).toBe(plays.length);
    // The newest plays are recent: the stats and the report's last year have something to show.
    const newest = lake
      .flatMap((f) => f.records.map((r) => String(r.played_at)))
      .sort()
      .at(-1)!;
    expect(Date.now() - Date.parse(newest)).toBeLessThan(4 * 86_400_000);
    expect(Date.parse(newest)).toBeLessThanOrEqual(Date.now());

    const html = await fs.readFile(path.join(cwd, 'demo-report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script[^>]+src=|https?:\/\/cdn/i);
    // The configured lake and state are untouched.
    expect(await listAllFiles(path.join(cwd, 'my-lake'))).toEqual([]);
    await expect(fs.access(path.join(cwd, '.pipeline', 'users'))).rejects.toThrow();

    const again = await runCli(['demo', '--plays', '4000', '--tz', 'UTC'], { cwd, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/plays written: 0\b/);
    expect(again.stdout).toContain(
      'nothing new: an earlier import already committed every one of these files',
    );
    expect(again.stdout).not.toContain('resumed');
    const after = playIdentities(await readLocalLake(path.join(cwd, 'demo-data')));
    expect(after.length).toBe(playIdentities(lake).length);
  });
});
