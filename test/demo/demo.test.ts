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
    expect(first.stdout).toContain(
      'npx spotify-pipeline --data-dir demo-data --state-dir demo-data/.state stats',
    );

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

    // Numbers that read right: the skip rate agrees with the plays the forward button ended (the generator sets
    // `skipped`, and leaves it null in the oldest quarter, as older exports do), and the history has days off.
    const records = lake
      .filter((f) => f.key.startsWith('spotify_listening_history/'))
      .flatMap((f) => f.records);
    // Plays known only from Account Data carry neither field.
    const known = records.filter((r) => r.skipped !== null || r.reason_end !== null);
    expect(known.length).toBeGreaterThan(records.length * 0.9);
    const skips = known.filter((r) => (r.skipped ?? r.reason_end === 'fwdbtn') === true).length;
    const fwd = known.filter((r) => r.reason_end === 'fwdbtn').length;
    expect(records.some((r) => r.skipped === null && r.reason_end !== null)).toBe(true);
    const demoFlags = ['--data-dir', 'demo-data', '--state-dir', 'demo-data/.state'];
    const json = await runCli([...demoFlags, 'stats', '--json', '--tz', 'UTC'], { cwd, env });
    expect(json.code, json.stderr).toBe(0);
    const listening = JSON.parse(json.stdout).listening;
    expect(listening.rates.all_time).toMatchObject({ skipped: skips, skip_known: known.length });
    expect(listening.rates.all_time.skip_rate).toBeGreaterThan(0.03);
    expect(Math.abs(listening.rates.all_time.skip_rate - fwd / known.length)).toBeLessThan(0.02);
    expect(first.stdout).not.toMatch(/skipped\s+0\.0 %/);
    const span =
      (Date.parse(listening.totals.last_play) - Date.parse(listening.totals.first_play)) / 86_400_000;
    // Not every day has music, so no streak spans the whole history (test/demo/generate-export.test.ts has more).
    expect(listening.totals.days_listened).toBeLessThan(span);
    expect(listening.streaks.longest.days).toBeLessThan(span * 0.8);
    expect(listening.top_albums_all_time.length).toBeGreaterThan(0);
    // A plain `stats` here looks at the configured (empty) lake, and says where the demo's is.
    const plain = await runCli(['stats'], { cwd, env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('--data-dir demo-data --state-dir demo-data/.state stats');

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
