import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunHistory, runHistoryFile } from '../../src/runs/run-history.js';
import { computePipelineStats } from '../../src/runs/stats.js';
import type { FakeTrack } from '../fakes/spotify-server.js';
import { continuousFixture, type RunningCli } from '../continuous/fixture.js';

/**
 * run-continuous, a real child process, reading the fake's player every second. The only test here on the
 * real clock (the child's): plays of a few seconds, with MIN_MS_PLAYED lowered to match, and tolerances of
 * one poll. The listening logic itself is tested on a virtual clock in test/player/.
 */
let fx: Awaited<ReturnType<typeof continuousFixture>> | undefined;
let run: RunningCli | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null) await run.stop();
  await fx?.close();
  fx = run = undefined;
});

const tr = (id: string, ms: number): FakeTrack => ({
  id,
  name: `Song ${id}`,
  duration_ms: ms,
  artists: [{ id: `ar${id}`, name: 'Artist' }],
});

describe('run-continuous reads the player', () => {
  it('writes a skip and a full play once, keeps a short play out, rides out a 429, reports in EMF', async () => {
    fx = await continuousFixture();
    fx.user.scopes.push('user-read-currently-playing');
    // One 429 on the player: the watcher waits as Retry-After asks and goes on.
    fx.spotify.inject('currently-playing', { status: 429, headers: { 'retry-after': '1' } });
    run = fx.start(['--interval', '5s', '--no-adaptive'], {
      PLAYER_POLL_SECONDS: '1',
      MIN_MS_PLAYED: '2500',
      SPOTIFY_MAX_RETRIES: '2',
      METRICS_FORMAT: 'emf',
    });
    await run.waitFor((l) => String(l.msg).startsWith('reading the player every 1 s'), 'the player watcher');
    await run.collections(1);
    const t0 = Date.now() + 2000;
    fx.user.player.push(
      { at: t0, item: { track: tr('skipped0000000000000A', 30_000) } }, // skipped after 6 s
      { at: t0 + 6000, item: { track: tr('full00000000000000000B', 5000) } }, // played to its end
      { at: t0 + 11_000, item: { track: tr('short0000000000000000C', 20_000) } }, // 1.5 s: under 2.5 s
      { at: t0 + 12_500, item: null },
    );
    await run.waitFor(
      () =>
        run!.lines
          .filter((l) => l.msg === 'player plays ended')
          .reduce((n, l) => n + Number(l.tooShort), 0) >= 1,
      'the short play to end',
      40_000,
    );
    const result = await run.stop();
    expect(result.code, result.stderr).toBe(0);

    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records.map((r) => [r.track_id, r.skipped, r.data_source])).toEqual([
      ['skipped0000000000000A', true, 'spotify_player_state'],
      ['full00000000000000000B', false, 'spotify_player_state'],
    ]);
    const [a, b] = records as { ms_played: number; played_at: string }[];
    expect(Math.abs(a!.ms_played - 6000)).toBeLessThanOrEqual(1500);
    expect(Math.abs(b!.ms_played - 5000)).toBeLessThanOrEqual(1500);
    expect(Math.abs(Date.parse(b!.played_at) - (t0 + 11_000))).toBeLessThanOrEqual(1500);
    // The collections' EMF lines carry what the player did in between.
    const emf = run.lines.filter((l) => '_aws' in l);
    expect(emf.some((l) => Number(l.PlayerPolls) > 0)).toBe(true);
    const playerPlays = emf.reduce((n, l) => n + Number(l.PlayerPlaysNew ?? 0), 0);
    expect(playerPlays).toBeGreaterThanOrEqual(1);
    // stats counts the same plays as the player's, from the collections' run records.
    const history = parseRunHistory(await fs.readFile(runHistoryFile(fx.stateDir), 'utf8'));
    const stats = computePipelineStats(history, { timeZone: 'UTC' });
    expect(stats.plays_by_source.player).toBe(playerPlays);
    const polls = fx.spotify.requests.filter((r) => r.path === '/v1/me/player/currently-playing');
    expect(polls[0]!.status).toBe(429);
    expect(polls.slice(1).every((r) => r.status === 200 || r.status === 204)).toBe(true);
  });

  it('a play in progress at SIGTERM is kept, resumed by the next start, and written once', async () => {
    fx = await continuousFixture();
    fx.user.scopes.push('user-read-currently-playing');
    const env = { PLAYER_POLL_SECONDS: '1', MIN_MS_PLAYED: '2500' };
    run = fx.start([], env);
    await run.waitFor((l) => String(l.msg).startsWith('reading the player every 1 s'), 'the player watcher');
    await run.collections(1);
    const t0 = Date.now();
    fx.user.player.push(
      { at: t0, item: { track: tr('longplay00000000000000', 9000) } },
      { at: t0 + 9000, item: null },
    );
    // Three reads that saw it playing (the fake's request log; the CLI logs nothing per read).
    const playingReads = () =>
      fx!.spotify.requests.filter(
        (r) => r.path.endsWith('/currently-playing') && r.at! > t0 && r.status === 200,
      );
    while (playingReads().length < 3) await new Promise((r) => setTimeout(r, 100));
    expect((await run.stop()).code).toBe(0);
    expect(
      (await fx.lake()).flatMap((f) => f.records),
      run.stderr.slice(-3000),
    ).toEqual([]); // still playing: nothing written yet

    run = fx.start([], env);
    await run.waitFor((l) => l.msg === 'player plays ended' && Number(l.written) === 1, 'the resumed play');
    expect((await run.stop()).code).toBe(0);
    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records.map((r) => [r.track_id, r.skipped])).toEqual([['longplay00000000000000', false]]);
    expect(Number(records[0]!.ms_played)).toBeGreaterThanOrEqual(8000);
  });

  it('a long play watched over many polls, then a second track: one record each, none again from recently-played', async () => {
    fx = await continuousFixture();
    fx.user.scopes.push('user-read-currently-playing');
    run = fx.start(['--interval', '3s', '--no-adaptive'], {
      PLAYER_POLL_SECONDS: '1',
      MIN_MS_PLAYED: '2500',
    });
    await run.waitFor((l) => String(l.msg).startsWith('reading the player every 1 s'), 'the player watcher');
    await run.collections(1);
    const t0 = Date.now() + 500;
    const long = tr('long00000000000000000L', 6000);
    const second = tr('second000000000000000S', 3000);
    fx.user.player.push(
      { at: t0, item: { track: long } }, // 6 s: past MIN_MS_PLAYED, seen by about six polls
      { at: t0 + 6000, item: { track: second } },
      { at: t0 + 9000, item: null },
    );
    const ended = () =>
      run!.lines.filter((l) => l.msg === 'player plays ended').reduce((n, l) => n + Number(l.written), 0);
    await run.waitFor(() => ended() >= 2, 'both player plays written', 40_000);
    const playingReads = fx.spotify.requests.filter(
      (r) => r.path.endsWith('/currently-playing') && r.at! >= t0 && r.at! < t0 + 6000 && r.status === 200,
    );
    expect(playingReads.length).toBeGreaterThanOrEqual(4);

    // Hours later recently-played lists both plays, its clock a few hundred ms off the player's estimate.
    fx.spotify.addPlays('alice', [
      { track: long, played_at: new Date(t0 + 6000 + 400).toISOString() },
      { track: second, played_at: new Date(t0 + 9000 - 300).toISOString() },
    ]);
    const seen = () =>
      run!.lines.filter((l) => l.msg === 'account collected' && Number(l.alreadyPresent) >= 2);
    await run.waitFor(() => seen().length >= 1, 'a collection that found both plays present', 30_000);
    expect((await run.stop()).code).toBe(0);

    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records.map((r) => [r.track_id, r.data_source, r.skipped])).toEqual([
      ['long00000000000000000L', 'spotify_player_state', false],
      ['second000000000000000S', 'spotify_player_state', false],
    ]);
    expect(Math.abs(Number(records[0]!.ms_played) - 6000)).toBeLessThanOrEqual(1500);
    expect(Math.abs(Number(records[1]!.ms_played) - 3000)).toBeLessThanOrEqual(1500);
    expect(run.lines.filter((l) => l.msg === 'account collected').every((l) => Number(l.new) === 0)).toBe(
      true,
    );
    // The ledger knows both as the player's (source `ply`): that is what made recently-played's copies present.
    const ledgerDir = path.join(fx.stateDir, 'users', 'alice', 'ledger');
    const months = await Promise.all(
      (await fs.readdir(ledgerDir)).map(async (f) =>
        JSON.parse(await fs.readFile(path.join(ledgerDir, f), 'utf8')),
      ),
    );
    const entries = months.flatMap((m: { plays: [number, string | null, string, string][] }) => m.plays);
    expect(entries.map((e) => [e[1], e[3]])).toEqual([
      ['long00000000000000000L', 'ply'],
      ['second000000000000000S', 'ply'],
    ]);
  });
});
