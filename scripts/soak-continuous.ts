/**
 * Soak of `run-continuous`: thousands of quick collection cycles of the built CLI (a real child process) against
 * the project's fake Spotify, with quiet and busy polls, a few 429s and 5xx, and a local or S3 (s3rver) lake.
 * Samples the child's RSS and open file descriptors from /proc/<pid> and its heap and cycle count from /metrics,
 * and prints them at the start, middle and end. Prints figures; asserts nothing.
 *
 *   npm run soak -- [--cycles 10000] [--lake local|s3] [--interval 50ms] [--player] [--out /work/bigdata/soak]
 *
 * `--player` turns the player watcher on (PLAYER_POLL_SECONDS=1) at a fixed interval (`--no-adaptive`; use
 * `--interval 250ms` or more, so that collections leave the loop time to poll the player between them): the
 * fake's player plays tracks of 2-5 s back to back, with a silence now and then, so the watcher starts,
 * accumulates and ends a play every few seconds and writes it.
 *
 * Sub-second intervals are refused to users; SPOTIFY_PIPELINE_TEST_FAST_POLLING=1 (set here for the child
 * only) allows them for tests like this one. "Start" is sampled after a warm-up of 2 % of the cycles (at least
 * 100), once the process has loaded its modules and filled its caches, so growth measures leaks, not start-up.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeSpotify, headlessSpotifyEnv, makeTrack } from '../test/fakes/spotify-server.js';
import { s3Env, startS3rver } from '../test/helpers/s3rver.js';
import { Inspector, inspectorUrl, type Retained } from './soak-inspector.js';
import { rng } from '../test/helpers/rng.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10000' },
    lake: { type: 'string', default: 'local' },
    interval: { type: 'string', default: '50ms' },
    out: { type: 'string', default: '/work/bigdata/soak' },
    'max-minutes': { type: 'string', default: '30' },
    player: { type: 'boolean', default: false },
  },
});
const CYCLES = Number(values.cycles);
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'spotify-pipeline.js');

interface Sample {
  cycles: number;
  elapsedS: number;
  rssKb: number;
  fds: number;
  heapUsed: number;
  handles: number;
  /** After a forced full GC (every tenth sample): what the process keeps. */
  retained?: Retained;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && /^[a-z_]+(\{[^}]*\})? /.test(line)) sum += Number(line.split(' ').pop());
  return sum;
}

function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN);
}

async function main() {
  const root = path.join(values.out!, `${values.lake}-${Date.now()}`);
  mkdirSync(root, { recursive: true });
  const spotify = await FakeSpotify.start();
  const user = spotify.addUser('soak_listener');
  const s3 = values.lake === 's3' ? await startS3rver(['soak-lake']) : undefined;
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: root,
    ...(Object.fromEntries(
      Object.entries(headlessSpotifyEnv(spotify, user)).filter(([, v]) => v !== undefined),
    ) as Record<string, string>),
    DATA_DIR: path.join(root, 'data'),
    STATE_DIR: path.join(root, 'state'),
    ...(s3 ? s3Env(s3.endpoint, 'soak-lake') : {}),
    SPOTIFY_PIPELINE_TEST_FAST_POLLING: '1',
    // The client's own pacing (60 requests a minute by default) would make each cycle wait a second.
    SPOTIFY_RATE_LIMIT_PER_MINUTE: '6000',
    SPOTIFY_MAX_RETRIES: '2',
    LOG_LEVEL: 'info',
    ...(values.player ? { PLAYER_POLL_SECONDS: '1', MIN_MS_PLAYED: '1000' } : {}),
  };
  if (values.player) user.scopes.push('user-read-currently-playing');
  const log = createWriteStream(path.join(root, 'run-continuous.log'));
  const child = spawn(
    process.execPath,
    [
      // The soak forces GCs and reads process.memoryUsage() over the inspector (see soak-inspector.ts).
      '--inspect=127.0.0.1:0',
      CLI,
      'run-continuous',
      '--interval',
      values.interval!,
      // With the player on, a fixed interval: collections due back to back (adaptive polling at a floor of
      // 0 ms) leave the loop no gap for the player's polls, which run between collections.
      ...(values.player ? ['--no-adaptive'] : ['--min-interval', '0ms']),
      '--metrics-port',
      String(port),
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let stderrHead = '';
  const inspector = new Promise<Inspector>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      stderrHead += chunk.toString();
      const url = inspectorUrl(stderrHead);
      if (!url) return;
      child.stderr.off('data', onData);
      Inspector.connect(url).then(resolve, reject);
    };
    child.stderr.on('data', onData);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Plays arrive between polls: most polls quiet, some with a few plays, a few busy (a full page or more).
  const random = rng(18);
  // Plays 3.5 minutes apart (a song), so a ledger month holds what a heavy listener's does (about 12,000), and
  // always in the past: 10,000 cycles add about 80,000 plays, some 200 days.
  let virtualMs = Date.now() - 400 * 86_400_000;
  let trackNo = 1;
  let polls = 0;
  let injected429 = 0;
  let injected5xx = 0;
  const recentlyPlayed = () =>
    spotify.requests.filter((r) => r.path === '/v1/me/player/recently-played').length;
  let seen = 0;
  let playerPolls = 0;
  let playerTrack = 0;
  const driver = setInterval(() => {
    // Drop the fake's request log as it goes (it is this process's memory, not the child's).
    const now = seen + recentlyPlayed();
    playerPolls += spotify.requests.filter((r) => r.path === '/v1/me/player/currently-playing').length;
    spotify.requests.length = 0;
    if (values.player) {
      // The player's timeline, kept 10 s ahead of the clock and a few segments behind it.
      const wall = Date.now();
      let at = user.player.at(-1)?.at ?? wall;
      while (at < wall + 10_000) {
        const silence = random() < 0.1;
        const ms = silence ? 3000 : 2000 + Math.floor(random() * 3000);
        user.player.push({
          at,
          item: silence ? null : { track: makeTrack(9000 + (playerTrack++ % 500), { duration_ms: ms }) },
        });
        at += ms;
      }
      const current = user.player.findIndex((x) => x.at > wall);
      if (current > 5) user.player.splice(0, current - 5);
    }
    for (; polls < now; polls++) {
      const r = random();
      const n = r < 0.6 ? 0 : r < 0.9 ? 1 + Math.floor(random() * 10) : 30 + Math.floor(random() * 30);
      spotify.addPlays(
        user.id,
        Array.from({ length: n }, () => ({
          track: makeTrack(1 + (trackNo++ % 5000)),
          played_at: new Date((virtualMs += 210_000)).toISOString(),
          context: null,
        })),
      );
      if (polls % 1000 === 500) {
        spotify.inject('/me/player/recently-played', {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { error: { status: 429, message: 'API rate limit exceeded' } },
        });
        injected429++;
      }
      if (polls % 1000 === 900) {
        spotify.inject('/me/player/recently-played', {
          status: 503,
          body: { error: { status: 503, message: 'Service unavailable' } },
        });
        injected5xx++;
      }
      if (polls % 2500 === 1200) {
        // More 5xx than the client retries (SPOTIFY_MAX_RETRIES=2): the collection fails and the loop retries it.
        for (let i = 0; i < 3; i++)
          spotify.inject('/me/player/recently-played', {
            status: 502,
            body: { error: { status: 502, message: 'Bad gateway' } },
          });
        injected5xx += 3;
      }
    }
    seen = now;
    // Keep the fake's list short: the API shows only the latest page anyway.
    if (user.plays.length > 500) user.plays.splice(0, user.plays.length - 200);
  }, 5);

  const started = Date.now();
  const samples: Sample[] = [];
  const sample = async (forceGc: boolean): Promise<Sample | undefined> => {
    try {
      const retained = forceGc ? await (await inspector).retained() : undefined;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return {
        cycles: metric(text, 'spotify_pipeline_collections_total'),
        elapsedS: (Date.now() - started) / 1000,
        rssKb: vmRssKb(child.pid!),
        fds: readdirSync(`/proc/${child.pid}/fd`).length,
        heapUsed: metric(text, 'spotify_pipeline_nodejs_heap_size_used_bytes'),
        handles: metric(text, 'spotify_pipeline_nodejs_active_handles_total'),
        retained,
      };
    } catch {
      return undefined; // not listening yet
    }
  };
  const warmup = Math.max(100, Math.round(CYCLES * 0.02));
  const deadline = started + Number(values['max-minutes']) * 60_000;
  let last: Sample | undefined;
  let failed = false;
  child.on('exit', () => (failed = true));
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    if (failed) break;
    const s = await sample(samples.length % 10 === 0);
    if (!s) continue;
    samples.push(s);
    last = s;
    if (s.cycles % 1000 < 20 || samples.length % 30 === 0)
      process.stderr.write(
        `  ${s.cycles} cycles, ${s.elapsedS.toFixed(0)} s, RSS ${(s.rssKb / 1024).toFixed(1)} MB, ${s.fds} fds\n`,
      );
    if (s.cycles >= warmup + CYCLES || Date.now() > deadline) break;
  }
  clearInterval(driver);
  (await inspector).close();
  child.kill('SIGTERM');
  const code = await exited;
  await spotify.close();
  await s3?.close();
  if (!last)
    throw new Error(
      `run-continuous exited (${code}) before its metrics answered: see ${root}/run-continuous.log`,
    );

  const after = samples.filter((s) => s.cycles >= warmup);
  const start = after[0]!;
  const end = after[after.length - 1]!;
  const middle = after.reduce((best, s) =>
    Math.abs(s.cycles - (start.cycles + end.cycles) / 2) <
    Math.abs(best.cycles - (start.cycles + end.cycles) / 2)
      ? s
      : best,
  );
  const row = (label: string, s: Sample) =>
    `${label.padEnd(7)} cycle ${String(s.cycles).padStart(6)}  ${s.elapsedS.toFixed(0).padStart(5)} s  RSS ${(s.rssKb / 1024).toFixed(1).padStart(6)} MB  heap used ${(s.heapUsed / 2 ** 20).toFixed(1).padStart(5)} MB  open fds ${String(s.fds).padStart(3)}  active handles ${s.handles}`;
  const cycles = end.cycles - start.cycles;
  const growthMb = (end.rssKb - start.rssKb) / 1024;
  const logText = readFileSync(path.join(root, 'run-continuous.log'), 'utf8');
  const count = (msg: string) => logText.split('\n').filter((l) => l.includes(msg)).length;
  console.log(
    `run-continuous soak (node ${process.version}), ${values.lake} lake, --interval ${values.interval} (adaptive, floor 0 ms), fake Spotify on 127.0.0.1`,
  );
  console.log(row('start', start));
  console.log(row('middle', middle));
  console.log(row('end', end));
  console.log(
    `${cycles} cycles after a warm-up of ${start.cycles} in ${(end.elapsedS - start.elapsedS).toFixed(0)} s (${(((end.elapsedS - start.elapsedS) * 1000) / Math.max(1, cycles)).toFixed(1)} ms a cycle); ` +
      `RSS ${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(1)} MB (${((growthMb * 1024 * 1024) / Math.max(1, cycles)).toFixed(0)} bytes a cycle), fds ${end.fds - start.fds >= 0 ? '+' : ''}${end.fds - start.fds}, peak RSS ${(Math.max(...after.map((s) => s.rssKb)) / 1024).toFixed(1)} MB`,
  );
  // Single samples swing with garbage not yet collected; the lowest heap of a stretch is what is kept.
  const tenth = Math.max(1, Math.floor(after.length / 10));
  const floor = (xs: Sample[]) => Math.min(...xs.map((x) => x.heapUsed)) / 2 ** 20;
  const rssFloor = (xs: Sample[]) => Math.min(...xs.map((x) => x.rssKb)) / 1024;
  const [h0, h1] = [floor(after.slice(0, tenth)), floor(after.slice(-tenth))];
  const [r0, r1] = [rssFloor(after.slice(0, tenth)), rssFloor(after.slice(-tenth))];
  console.log(
    `lowest heap used in the first / last tenth of the samples: ${h0.toFixed(1)} / ${h1.toFixed(1)} MB (${h1 - h0 >= 0 ? '+' : ''}${(h1 - h0).toFixed(1)} MB); lowest RSS: ${r0.toFixed(1)} / ${r1.toFixed(1)} MB (${r1 - r0 >= 0 ? '+' : ''}${(r1 - r0).toFixed(1)} MB); fds ${Math.min(...after.map((x) => x.fds))}-${Math.max(...after.map((x) => x.fds))} throughout`,
  );
  // The figures to judge growth by: right after a forced full GC, first, middle and last of those samples.
  const kept = after.filter((x) => x.retained);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1).padStart(6);
  const keptRow = (label: string, x: Sample) =>
    `retained ${label.padEnd(6)} cycle ${String(x.cycles).padStart(6)}  heap used ${mb(x.retained!.heapUsed)} MB  heap total ${mb(x.retained!.heapTotal)} MB  external ${mb(x.retained!.external)} MB (array buffers ${mb(x.retained!.arrayBuffers)})  RSS ${mb(x.retained!.rss)} MB  fds ${x.fds}`;
  if (kept.length >= 2) {
    const [k0, k1] = [kept[0]!, kept[kept.length - 1]!];
    console.log(keptRow('start', k0));
    console.log(keptRow('middle', kept[Math.floor(kept.length / 2)]!));
    console.log(keptRow('end', k1));
    const dHeap = k1.retained!.heapUsed - k0.retained!.heapUsed;
    const dRss = k1.retained!.rss - k0.retained!.rss;
    const n = Math.max(1, k1.cycles - k0.cycles);
    console.log(
      `retained over ${n} cycles (${kept.length} forced-GC samples): heap ${dHeap >= 0 ? '+' : ''}${(dHeap / 2 ** 20).toFixed(2)} MB (${(dHeap / n).toFixed(0)} bytes a cycle), external ${((k1.retained!.external - k0.retained!.external) / 2 ** 20).toFixed(2)} MB, RSS ${dRss >= 0 ? '+' : ''}${(dRss / 2 ** 20).toFixed(1)} MB`,
    );
  }
  if (values.player) {
    const written = logText
      .split('\n')
      .filter((l) => l.includes('"player plays ended"'))
      .reduce((n, l) => n + Number((JSON.parse(l) as { written?: number }).written ?? 0), 0);
    console.log(
      `player: ${playerPolls} polls of currently-playing, ${written} plays written from the player`,
    );
  }
  console.log(
    `injected: ${injected429} x 429 (Retry-After 1 s), ${injected5xx} x 5xx; log: ${count('"collection failed; retrying')} failed collections retried, ${count('Spotify rate limit (429)')} rate-limit waits; exit code ${code} after SIGTERM`,
  );
  // Judged on the forced-GC samples when there are some: a plain sample's RSS is mostly uncollected garbage.
  const [g0, g1] = kept.length >= 2 ? [kept[0]!, kept[kept.length - 1]!] : [start, end];
  const judgedMb = g0.retained && g1.retained ? (g1.retained.rss - g0.retained.rss) / 2 ** 20 : growthMb;
  console.log(
    `goals (growth < 10 MB, no fd growth; ${g0.retained ? 'RSS after forced GC' : 'RSS'} ${judgedMb >= 0 ? '+' : ''}${judgedMb.toFixed(1)} MB, fds ${g0.fds} -> ${g1.fds}): ${judgedMb < 10 && g1.fds <= g0.fds ? 'met' : 'NOT met'}`,
  );
  if (!process.env.SOAK_KEEP) rmSync(root, { recursive: true, force: true });
}

await main();
