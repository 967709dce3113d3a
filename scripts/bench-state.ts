/**
 * What a quiet `run-once` (nothing new) costs with the state on S3 against a local STATE_DIR: the state
 * and lease requests it makes (GET, HEAD, PUT, DELETE, LIST, counted by the conditional-write S3 fake on
 * loopback) and its wall time. Also: a re-import of an export into a fresh, empty state onto a full lake
 * (every month learned from the lake) against the first import.
 * Run: npm run bench:state [-- --plays 200000]
 */
import path from 'node:path';
import { generateExport } from '../src/demo/generate-export.js';
import { startConditionalS3 } from '../test/fakes/conditional-s3.js';
import { FakeSpotify, headlessSpotifyEnv, makePlays } from '../test/fakes/spotify-server.js';
import { runCli, tempDir } from '../test/helpers/cli.js';
import { s3Env } from '../test/helpers/s3rver.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 5);
const PLAYS = arg('plays', 200_000);

async function timed(args: string[], cwd: string, env: Record<string, string | undefined>) {
  const started = process.hrtime.bigint();
  const r = await runCli(args, { cwd, env });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return { ms, stdout: r.stdout };
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const s3 = await startConditionalS3(['lake', 'state']);
const spotify = await FakeSpotify.start();
const user = spotify.addUser('bench');
spotify.addPlays('bench', makePlays(50, new Date()));
const spotifyEnv = { ...headlessSpotifyEnv(spotify, user), LOG_LEVEL: 'warn' };
try {
  console.log(
    `node ${process.version}; quiet run-once, median of ${RUNS} after a first run that wrote 50 plays`,
  );
  for (const mode of ['local STATE_DIR', 'STATE_URL=s3://state/bench/'] as const) {
    const cwd = await tempDir('bench-state-');
    const env = {
      ...spotifyEnv,
      ...s3Env(s3.endpoint, 'lake'),
      ...(mode.startsWith('STATE_URL') ? { STATE_URL: 's3://state/bench/' } : {}),
    };
    await timed(['run-once'], cwd, env);
    const times: number[] = [];
    let counts: Record<string, number> = {};
    let lease: Record<string, number> = {};
    for (let i = 0; i < RUNS; i++) {
      s3.proxy.resetCounts();
      times.push((await timed(['run-once'], cwd, env)).ms);
      counts = s3.proxy.counts({ bucket: 'state', prefix: 'bench/' });
      lease = s3.proxy.counts({ bucket: 'lake', prefix: '_pipeline/' });
    }
    const fmt = (c: Record<string, number>) =>
      Object.entries(c)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    console.log(
      `${mode.padEnd(30)} ${median(times).toFixed(0)} ms; state requests: ${fmt(counts)}; lease requests: ${fmt(lease)}`,
    );
  }

  const exportDir = path.join(await tempDir('bench-state-export-'), 'export');
  await generateExport(exportDir, { plays: PLAYS, seed: 3 });
  const cwd = await tempDir('bench-state-import-');
  const lake = path.join(cwd, 'lake');
  const imp = (state: string) =>
    timed(['import', exportDir, '--json', '--no-progress'], cwd, {
      DATA_DIR: lake,
      STATE_DIR: path.join(cwd, state),
      LOG_LEVEL: 'warn',
    });
  const first = await imp('state-a');
  const again = await imp('state-b');
  const a = JSON.parse(first.stdout) as { rows_written: number };
  const b = JSON.parse(again.stdout) as { rows_written: number; plays_already_present: number };
  console.log(
    `import of ${PLAYS} plays into an empty lake: ${(first.ms / 1000).toFixed(2)} s, ${a.rows_written} written`,
  );
  console.log(
    `re-import into a fresh state onto that lake: ${(again.ms / 1000).toFixed(2)} s, ${b.rows_written} written, ${b.plays_already_present} already present (learned from the lake)`,
  );
} finally {
  await spotify.close();
  await s3.close();
}
