/**
 * Start-up and steady-state cost of the collector, against the fake Spotify on loopback:
 * `--help` wall time, and `run-once` wall time when there is nothing new (the every-5-minutes case).
 * Run: npm run bench:collector
 */
import { FakeSpotify, headlessSpotifyEnv, makePlays } from '../test/fakes/spotify-server.js';
import { runCli, tempDir } from '../test/helpers/cli.js';

const RUNS = 10;

// Async spawn: the fake server lives in this process and must keep answering while the CLI runs.
async function time(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const started = process.hrtime.bigint();
  const r = await runCli(args, { cwd, env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return ms;
}

async function repeat(n: number, fn: () => Promise<number>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

const spotify = await FakeSpotify.start();
const user = spotify.addUser('bench');
spotify.addPlays('bench', makePlays(50, new Date()));
const cwd = await tempDir('bench-');
const env = { ...headlessSpotifyEnv(spotify, user), LOG_LEVEL: 'warn' };
try {
  const help = await repeat(RUNS, () => time(['--help'], cwd, env));
  const first = await time(['run-once'], cwd, env);
  const idle = await repeat(RUNS, () => time(['run-once'], cwd, env));
  console.log(`node ${process.version}, ${RUNS} runs each`);
  console.log(`--help:                      ${stats(help)}`);
  console.log(`run-once, first (50 new):    ${first.toFixed(0)} ms`);
  console.log(`run-once, nothing new:       ${stats(idle)}`);
} finally {
  await spotify.close();
}
