import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parseHistoryLine, runHistoryFile } from '../../src/runs/run-history.js';
import { RUN_RECORD_VERSION, type RunRecord } from '../../src/runs/run-record.js';
import { loadHistoryRollup, rollupFile } from '../../src/runs/rollup-store.js';
import { computePipelineStats, statsFromRollup } from '../../src/runs/stats.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { tempDir } from '../helpers/cli.js';
import { barChart, formatPipelineStats } from '../../src/runs/format.js';
import { collectorFixture } from '../collect/fixture.js';
import { makePlays } from '../fakes/spotify-server.js';
import { listAllFiles } from '../helpers/lake.js';

const NOW = new Date('2026-06-15T12:00:00.000Z');
/** A history line as an earlier release wrote it (before the run record). */
type ReleasedLine = Record<string, unknown>;
/** Lines through the history's reader, as `stats` reads them from the file. */
const read = (lines: ReleasedLine[]) => lines.map((l) => parseHistoryLine(JSON.stringify(l))!);
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

function run(
  h: number,
  outcome: 'ok' | 'failed' | 'auth_required',
  accounts: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): ReleasedLine {
  const sum = (k: string) => accounts.reduce((n, a) => n + Number(a[k] ?? 0), 0);
  return {
    run_id: `r${h}`,
    command: 'run-continuous',
    started_at: hoursAgo(h),
    finished_at: hoursAgo(h),
    duration_ms: 10,
    outcome,
    plays_new: sum('plays_new'),
    files_written: sum('files_written'),
    bytes_written: sum('bytes_written'),
    accounts,
    ...extra,
  };
}
const acct = (user_id: string, outcome: string, plays: number, newest?: string, error?: string) => ({
  user_id,
  outcome,
  plays_new: plays,
  plays_recovered: 0,
  files_written: plays ? 1 : 0,
  bytes_written: plays * 100,
  newest_played_at: newest ?? null,
  ...(error ? { error } : {}),
});

describe('pipeline stats from the run history', () => {
  const history = read([
    run(24 * 40, 'ok', [acct('alice', 'ok', 50, hoursAgo(24 * 40))]),
    run(24 * 10, 'ok', [acct('alice', 'ok', 10, hoursAgo(24 * 10)), acct('bob', 'ok', 4, hoursAgo(24 * 10))]),
    run(24 * 3, 'failed', [acct('alice', 'failed', 0, undefined, 'Spotify 503')], {
      error: 'alice: Spotify 503',
    }),
    run(
      30,
      'ok',
      [acct('alice', 'ok', 7, hoursAgo(30)), acct('bob', 'auth_required', 0, undefined, 'log in')],
      {
        outcome: 'auth_required',
        error: 'bob: log in',
      },
    ),
    run(2, 'ok', [acct('alice', 'ok', 3, hoursAgo(2.5)), acct('bob', 'ok', 0)]),
    {
      run_id: 'imp',
      command: 'import',
      started_at: hoursAgo(1),
      finished_at: hoursAgo(1),
      duration_ms: 5000,
      outcome: 'ok',
      user_id: 'alice',
      plays_written: 1000,
      files_written: 20,
      bytes_written: 40_000,
    },
  ]);
  const stats = computePipelineStats(history, { now: NOW, timeZone: 'UTC' });

  it('counts runs per window with the success rate', () => {
    expect(stats.history_runs).toBe(6);
    expect(stats.runs.last_24h).toMatchObject({
      ok: 2,
      failed: 0,
      auth_required: 0,
      total: 2,
      success_rate: 1,
    });
    expect(stats.runs.last_7d).toMatchObject({ ok: 2, failed: 1, auth_required: 1, total: 4 });
    expect(stats.runs.last_30d.total).toBe(5);
    expect(stats.runs.all_time.total).toBe(6);
    expect(stats.runs.last_7d.success_rate).toBe(0.5);
  });
  it('sums the lake from the history, imports included', () => {
    expect(stats.lake).toEqual({ plays: 1074, files: 25, bytes: 47_400 });
  });
  it('gives last error, last success, freshness', () => {
    expect(stats.last_error).toEqual({ at: hoursAgo(30), command: 'run-continuous', message: 'bob: log in' });
    expect(stats.last_success_at).toBe(hoursAgo(1));
    expect(stats.newest_played_at).toBe(hoursAgo(2.5));
    expect(stats.freshness_seconds).toBe(9000);
  });
  it('plots plays per day over the last 14 days, collected and imported apart', () => {
    expect(stats.plays_per_day).toHaveLength(14);
    expect(stats.plays_per_day.at(-1)).toEqual({
      date: '2026-06-15',
      plays: 1003,
      collected: 3,
      imported: 1000,
    });
    expect(stats.plays_per_day.find((d) => d.date === '2026-06-14')!.plays).toBe(7);
    expect(stats.plays_per_day.find((d) => d.date === '2026-06-05')!.plays).toBe(14);
  });
  it('sums API collections and imports apart; freshness comes from the API alone', () => {
    expect(stats.collected).toMatchObject({ runs: 5, plays: 74, files: 5, newest_played_at: hoursAgo(2.5) });
    expect(stats.imported).toMatchObject({
      runs: 1,
      plays: 1000,
      files: 20,
      bytes: 40_000,
      last_run_at: hoursAgo(1),
    });
    expect(stats.runs.last_24h.imports).toBe(1);
    expect(stats.runs.all_time.imports).toBe(1);
  });
  it('breaks figures down per account, and --account narrows to one', () => {
    expect(stats.accounts.map((a) => a.user_id)).toEqual(['alice', 'bob']);
    const bob = stats.accounts[1]!;
    expect(bob.runs.last_30d).toMatchObject({ ok: 2, auth_required: 1, total: 3 });
    expect(bob.last_error?.message).toBe('log in');
    expect(bob.lake).toEqual({ plays: 4, files: 1, bytes: 400 });
    const alice = computePipelineStats(history, { now: NOW, timeZone: 'UTC', account: 'alice' });
    expect(alice.account).toBe('alice');
    expect(alice.lake.plays).toBe(1070);
    expect(alice.runs.last_7d).toMatchObject({ ok: 3, failed: 1 });
    expect(alice.accounts).toHaveLength(1);
  });
  it('buckets days in the time zone asked for', () => {
    // 23:30 UTC on the 14th is the 15th in Tokyo.
    const late = read([run(12.5, 'ok', [acct('alice', 'ok', 5)])]);
    const utc = computePipelineStats(late, { now: NOW, timeZone: 'UTC' });
    const tokyo = computePipelineStats(late, { now: NOW, timeZone: 'Asia/Tokyo' });
    expect(utc.plays_per_day.find((d) => d.plays)!.date).toBe('2026-06-14');
    expect(tokyo.plays_per_day.find((d) => d.plays)!.date).toBe('2026-06-15');
  });
  it('formats a terminal report with a bar chart', () => {
    const text = formatPipelineStats(stats);
    expect(text).toContain('success rate');
    expect(text).toContain('1,074 plays in 25 files, 46.3 KB');
    // The API chart shows collected plays only; the import has its own.
    expect(text).toMatch(/Plays collected by the API per day \(UTC\)\n(.*\n)* {2}2026-06-15\s+3\s+█+\n/);
    expect(text).toMatch(/Plays imported per day .*\n {2}2026-06-15\s+1,000\s+█{30}/);
    expect(text).toContain('Imported       1,000 plays in 20 files, 39.1 KB, by 1 import;');
    expect(
      barChart([
        { date: 'd', plays: 1 },
        { date: 'e', plays: 1000 },
      ])[0],
    ).toContain('▏');
  });
  it('labels an import-only lake honestly: nothing collected by the API, how old the export is', () => {
    // A history line as `import` writes it (the demo's own, trimmed): `users` names the account, the
    // export's newest play is `date_range.last`, no `newest_played_at`.
    const imported: ReleasedLine = {
      run_id: 'i1',
      command: 'import',
      outcome: 'ok',
      started_at: hoursAgo(1),
      finished_at: hoursAgo(1),
      duration_ms: 2529,
      rows_read: 93_878,
      rows_written: 45_146,
      plays_new: 45_146,
      files_written: 1014,
      bytes_written: 3_991_103,
      date_range: { first: '2025-08-03T21:24:09.000Z', last: hoursAgo(13) },
      users: ['demo-listener'],
    };
    const only = computePipelineStats(read([imported]), { now: NOW, timeZone: 'UTC' });
    expect(only.freshness_seconds).toBeNull();
    expect(only.collected).toMatchObject({ runs: 0, plays: 0, newest_played_at: null });
    expect(only.imported).toMatchObject({
      runs: 1,
      plays: 45_146,
      newest_played_at: hoursAgo(13),
      age_seconds: 13 * 3600,
    });
    expect(only.plays_per_day.every((d) => d.collected === 0)).toBe(true);
    expect(only.accounts.map((a) => [a.user_id, a.imported.plays])).toEqual([['demo-listener', 45_146]]);

    const text = formatPipelineStats(only);
    expect(text).toContain('Pipeline (all accounts; 1 run in the history; times in UTC)');
    expect(text).toContain(
      `Freshness      no play collected by the API yet · newest imported play 2026-06-14 23:00 UTC (13 h old;`,
    );
    expect(text).toContain('Collected      none yet');
    expect(text).toContain('Imported       45,146 plays in 1,014 files, 3.8 MB, by 1 import;');
    // No chart of 13 zero days and the import day: the API chart says there was no collection.
    expect(text).toMatch(
      /Plays collected by the API per day \(UTC\)\n {2}none from 2026-06-02 to 2026-06-15: no collection from the API yet\n/,
    );
    expect(text).not.toMatch(/^\s+2026-06-0\d\s+0\s*$/m);
    expect(text).toMatch(/Plays imported per day .*\n {2}2026-06-15\s+45,146\s+█+/);
  });
  it('copes with an empty history', () => {
    const empty = computePipelineStats([], { now: NOW, timeZone: 'UTC' });
    expect(empty.runs.last_24h.success_rate).toBeNull();
    expect(formatPipelineStats(empty)).toContain('Last run       none yet');
  });
});

describe('stats rollup cache', () => {
  it('rebuilds a rollup stored by an older version instead of reading imports as collections', async () => {
    const stateDir = await tempDir();
    const line = {
      run_id: 'i1',
      command: 'import',
      outcome: 'ok',
      started_at: hoursAgo(1),
      finished_at: hoursAgo(1),
      duration_ms: 1,
      plays_new: 10,
      files_written: 1,
      bytes_written: 100,
      users: ['alice'],
    };
    await fs.mkdir(path.dirname(runHistoryFile(stateDir)), { recursive: true });
    await fs.appendFile(runHistoryFile(stateDir), `${JSON.stringify(line)}\n`);
    // What the previous release stored after reading that line: no sources, already at the end of the file.
    const size = (await fs.stat(runHistoryFile(stateDir))).size;
    const fingerprint = createHash('sha256').update(JSON.stringify(line)).digest('hex');
    const old = {
      v: 1,
      offset: size,
      fingerprint,
      rollup: { v: 1, runs: 1, all: { totals: { plays: 10 }, recent: [] }, accounts: {} },
    };
    await fs.writeFile(rollupFile(stateDir), JSON.stringify(old));
    const rollup = await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW.getTime() });
    const stats = statsFromRollup(rollup, { now: NOW, timeZone: 'UTC' });
    expect(stats.imported.plays).toBe(10);
    expect(stats.accounts.map((a) => a.user_id)).toEqual(['alice']);
  });
});

describe('stats command', () => {
  let fx: Awaited<ReturnType<typeof collectorFixture>> | undefined;
  afterEach(async () => fx?.close());

  it('answers from the history with figures that agree with the lake', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(20, new Date(Date.now() - 3_600_000)));
    expect((await fx.run()).code).toBe(0);
    fx.spotify.addPlays('alice', makePlays(6, new Date(Date.now() - 600_000), { firstTrack: 400 }));
    expect((await fx.run()).code).toBe(0);
    fx.spotify.inject('GET /v1/me/player/recently-played', { status: 500, body: { error: { status: 500 } } });
    expect((await fx.run(['run-once'], { SPOTIFY_MAX_RETRIES: '0' })).code).toBe(1);

    const result = await fx.run(['stats', '--json', '--tz', 'UTC']);
    expect(result.code, result.stderr).toBe(0);
    const { pipeline } = JSON.parse(result.stdout) as { pipeline: ReturnType<typeof computePipelineStats> };
    const files = await listAllFiles(fx.dataDir);
    let bytes = 0;
    for (const f of files) bytes += (await fs.stat(path.join(fx.dataDir, f))).size;
    expect(pipeline.lake).toEqual({ plays: 26, files: files.length, bytes });
    expect(pipeline.runs.last_24h).toMatchObject({ ok: 2, failed: 1, total: 3 });
    expect(pipeline.last_error?.message).toContain('500');
    expect(pipeline.accounts[0]).toMatchObject({
      user_id: 'alice',
      lake: { plays: 26, files: files.length, bytes },
    });
    expect(pipeline.freshness_seconds).toBeGreaterThanOrEqual(600);
    expect(pipeline.plays_per_day.at(-1)!.plays).toBe(26);
    expect(pipeline.plays_by_source).toEqual({ recently_played: 26, player: 0, import: 0 });
    // One name for the time zone across the output, the one the listening part and the report use.
    expect(pipeline.timezone).toBe('UTC');
    expect(result.stdout).not.toContain('"time_zone"');

    const text = await fx.run(['stats', '--tz', 'UTC', '--account', 'alice']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Pipeline (account alice');
    expect(text.stdout).toMatch(/Plays collected by the API per day \(UTC\)/);
    expect(text.stdout).toContain('Collected      26 plays in');
    expect(text.stdout).toContain('Imported       none yet');
    expect(text.stdout).toContain('█');

    const badTz = await fx.run(['stats', '--tz', 'Mars/Olympus']);
    expect(badTz.code).toBe(2);
    expect(badTz.stderr).toContain('--tz "Mars/Olympus" is not a time zone');
  });
});

describe('stats from run records', () => {
  const bySource = (recently_played: number, player: number, imported = 0) => ({
    recently_played,
    player,
    import: imported,
  });
  const tick = (h: number, rp: number, player: number, extra: Partial<RunRecord> = {}): RunRecord => ({
    v: RUN_RECORD_VERSION,
    run_id: `t${h}`,
    command: 'run-continuous',
    outcome: 'ok',
    exit_code: 0,
    started_at: hoursAgo(h),
    finished_at: hoursAgo(h),
    duration_ms: 5,
    plays_fetched: rp,
    plays_new: rp,
    plays_already_present: 0,
    plays_skipped: 0,
    plays_recovered: 0,
    plays_by_source: bySource(rp, player),
    files_written: rp ? 1 : 0,
    bytes_written: rp * 10,
    newest_played_at: rp ? hoursAgo(h) : null,
    accounts: [
      {
        user_id: 'alice',
        outcome: 'ok',
        plays_fetched: rp,
        plays_new: rp,
        plays_already_present: 0,
        plays_recovered: 0,
        plays_by_source: bySource(rp, player),
        possible_gap: false,
        files_written: rp ? 1 : 0,
        bytes_written: rp * 10,
        newest_played_at: rp ? hoursAgo(h) : null,
      },
    ],
    api: {
      requests: 1,
      retries: 0,
      rate_limited: 0,
      rate_limit_wait_ms: 0,
      possible_gaps: 0,
      player_polls: 30,
      player_files_written: player ? 1 : 0,
      player_bytes_written: player * 10,
    },
    ...extra,
  });

  it('shows plays by source: recently-played, the player, the export', () => {
    const history = [
      tick(50, 10, 3),
      tick(2, 5, 2),
      ...read([
        {
          run_id: 'i',
          command: 'import',
          outcome: 'ok',
          started_at: hoursAgo(1),
          finished_at: hoursAgo(1),
          duration_ms: 1,
          plays_new: 100,
          files_written: 4,
          bytes_written: 1000,
          users: ['alice'],
        },
      ]),
    ];
    const stats = computePipelineStats(history, { now: NOW, timeZone: 'UTC' });
    expect(stats.plays_by_source).toEqual({ recently_played: 15, player: 5, import: 100 });
    expect(stats.accounts[0]!.plays_by_source).toEqual({ recently_played: 15, player: 5, import: 100 });
    // The lake counts the player's plays and objects too.
    expect(stats.lake).toEqual({ plays: 120, files: 8, bytes: 1200 });
    expect(stats.collected.plays).toBe(20);
    const text = formatPipelineStats(stats);
    expect(text).toContain('By source      15 recently played, 5 from the player, 100 imported');
    expect(text).toContain('    by source     15 recently played, 5 from the player, 100 imported');
  });

  it('does not count config errors (exit 2) in the success rate, and says how many there were', () => {
    const configError = tick(3, 0, 0, {
      outcome: 'failed',
      exit_code: 2,
      error: 'No account "bob" is connected',
      accounts: [],
    });
    const stats = computePipelineStats([tick(5, 1, 0), configError], { now: NOW, timeZone: 'UTC' });
    expect(stats.runs.last_24h).toMatchObject({
      ok: 1,
      failed: 0,
      total: 1,
      success_rate: 1,
      config_errors: 1,
    });
    expect(stats.runs.all_time).toMatchObject({ total: 1, config_errors: 1 });
    // Nor is it a collection.
    expect(stats.collected.runs).toBe(1);
    // Still the last error: it is what a user needs to fix.
    expect(stats.last_error?.message).toBe('No account "bob" is connected');
    const text = formatPipelineStats(stats);
    expect(text).toMatch(/success rate\s+100\.0%/);
    expect(text).toContain('1 config error not counted');
  });

  it('prints times in the stats time zone, and only the days that had plays', () => {
    const stats = computePipelineStats([tick(26, 4, 0), tick(2, 3, 0)], {
      now: NOW,
      timeZone: 'Europe/Berlin',
    });
    expect(stats.timezone).toBe('Europe/Berlin');
    expect(JSON.parse(JSON.stringify(stats))).not.toHaveProperty('time_zone');
    const text = formatPipelineStats(stats);
    // 10:00 UTC is 12:00 in Berlin in June.
    expect(text).toContain('Last run       2026-06-15 12:00 GMT+2 (2 h ago) run-continuous ok');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    const chart = text.slice(text.indexOf('Plays collected by the API per day'));
    expect(chart.match(/^ {2}2026-06-\d\d /gm)).toEqual(['  2026-06-14 ', '  2026-06-15 ']);
    expect(chart).toContain('(12 days without plays not shown)');
  });
});
