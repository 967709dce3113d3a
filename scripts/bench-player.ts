/**
 * Requests per hour per account that the player watcher makes, while listening and while idle, for 1 and 5
 * accounts: the real watcher against the fake Spotify, on a virtual clock (an hour takes a second or two).
 * Each account has its own state folder and token (the accounts of one process share the rate limiter, as in
 * run-continuous). The peak of any 30-second window is what Spotify's rolling rate window sees.
 *
 *   npx tsx scripts/bench-player.ts [--poll-seconds 10]
 */
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { openObjectStore } from '../src/lake/open-store.js';
import { createLogger } from '../src/log.js';
import { PlayerWatcher } from '../src/player/player-watcher.js';
import { RateLimiter } from '../src/spotify/rate-limiter.js';
import { openWriterSession } from '../src/commit/index.js';
import { FakeSpotify, headlessSpotifyEnv, type PlayerSegment } from '../test/fakes/spotify-server.js';
import { tempDir } from '../test/helpers/cli.js';

const pollSeconds = Number(process.argv[process.argv.indexOf('--poll-seconds') + 1] || 10) || 10;
const HOUR = 3_600_000;
const log = createLogger('silent');

/** An hour of back-to-back 3:20 tracks, or an hour with nothing playing. */
function timeline(start: number, listening: boolean): PlayerSegment[] {
  if (!listening) return [{ at: start, item: null }];
  const out: PlayerSegment[] = [];
  for (let t = 0, i = 0; t < HOUR; t += 200_000, i++) {
    const id = `bench${String(i).padStart(17, '0')}`;
    out.push({ at: start + t, item: { track: { id, name: `T${i}`, duration_ms: 200_000, artists: [] } } });
  }
  return out;
}

async function measure(accounts: number, listening: boolean) {
  const start = Date.parse('2026-12-01T00:00:00.000Z');
  let now = start;
  const limiter = new RateLimiter(6000, () => now);
  const spotify = await FakeSpotify.start();
  spotify.playerClock = () => now;
  const watchers = [];
  for (let i = 0; i < accounts; i++) {
    const user = spotify.addUser(`u${i}`, {
      scopes: ['user-read-recently-played', 'user-read-currently-playing'],
    });
    user.player.push(...timeline(start, listening));
    const cwd = await tempDir('bench-player-');
    const config = loadConfig({
      cwd,
      env: {
        ...headlessSpotifyEnv(spotify, user),
        DATA_DIR: path.join(cwd, 'data'),
        STATE_DIR: path.join(cwd, 's'),
      },
    });
    const writer = await openWriterSession(config, log, 'bench');
    const watcher = new PlayerWatcher({
      config,
      log,
      settings: { pollMs: pollSeconds * 1000, minMsPlayed: 30_000 },
      limiter,
      store: await openObjectStore(config.storage),
      now: () => now,
    });
    watchers.push({ watcher, writer });
  }
  const times: number[] = [];
  const counted = spotify.requests.length;
  for (; now < start + HOUR; now += 1000) {
    for (const { watcher, writer } of watchers) {
      if (watcher.nextDueAt() <= now) {
        const before = spotify.requests.length;
        await watcher.tick(writer);
        for (let k = before; k < spotify.requests.length; k++) times.push(now);
      }
    }
  }
  const player = spotify.requests.slice(counted).filter((r) => r.path.endsWith('/currently-playing')).length;
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 30_000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  for (const { writer } of watchers) await writer.release();
  await spotify.close();
  return { player, all: times.length, peak };
}

console.log(`PLAYER_POLL_SECONDS=${pollSeconds}, one virtual hour each`);
console.log('accounts | listening | player requests/h/account | all requests/h (tokens too) | peak in 30 s');
for (const accounts of [1, 5]) {
  for (const listening of [true, false]) {
    const r = await measure(accounts, listening);
    console.log(
      `${accounts} | ${listening ? 'yes' : 'no '} | ${(r.player / accounts).toFixed(0)} | ${r.all} | ${r.peak}`,
    );
  }
}
