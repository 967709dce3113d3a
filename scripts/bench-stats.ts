/**
 * How fast `stats` answers with 100,000 plays in the lake. Builds a STATE_DIR and a local lake in a
 * temporary folder (a year of `run-continuous` every 30 minutes plus one big import, 100,000 plays in
 * all), then times the real CLI (`node bin/spotify-pipeline.js stats --json`) end to end.
 *
 *   npm run build && npm run bench:stats
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadHistoryRollup, rollupFile } from '../src/runs/rollup-store.js';
import { statsFromRollup } from '../src/runs/stats.js';
import { LocalStateStore } from '../src/state/local-state-store.js';
import { RUN_RECORD_VERSION, type RunRecord } from '../src/runs/run-record.js';

const ROOT = process.env.BENCH_PROJECT_ROOT ?? process.cwd();
const CLI = path.join(ROOT, 'bin', 'spotify-pipeline.js');
const DAY = 86_400_000;

interface Scenario {
  name: string;
  days: number;
  pollMinutes: number;
  importedPlays: number;
  collectedPlays: number;
}

/** A run-continuous tick's line as this version writes it (a RunRecord). */
function historyLine(at: number, plays: number, account: string): string {
  const files = plays > 0 ? 1 : 0;
  const bytes = plays * 230;
  const bySource = { recently_played: plays, player: 0, import: 0 };
  const newest = new Date(at - 60_000).toISOString();
  const record: RunRecord = {
    v: RUN_RECORD_VERSION,
    run_id: randomUUID(),
    command: 'run-continuous',
    outcome: 'ok',
    exit_code: 0,
    started_at: new Date(at - 400).toISOString(),
    finished_at: new Date(at).toISOString(),
    duration_ms: 400,
    lake: '/data/spotify_listening_history/',
    plays_fetched: 50,
    plays_new: plays,
    plays_already_present: 50 - plays,
    plays_skipped: 0,
    plays_recovered: 0,
    plays_by_source: bySource,
    files_written: files,
    bytes_written: bytes,
    newest_played_at: newest,
    accounts: [
      {
        user_id: account,
        outcome: 'ok',
        plays_fetched: 50,
        plays_new: plays,
        plays_already_present: 50 - plays,
        plays_recovered: 0,
        plays_by_source: bySource,
        possible_gap: false,
        files_written: files,
        bytes_written: bytes,
        newest_played_at: newest,
      },
    ],
    api: { requests: 1, retries: 0, rate_limited: 0, rate_limit_wait_ms: 0, possible_gaps: 0 },
  };
  return JSON.stringify(record);
}

function build(dir: string, s: Scenario): { lines: number; lakeFiles: number } {
  const stateDir = path.join(dir, 'state');
  mkdirSync(path.join(stateDir, 'history'), { recursive: true });
  const now = Date.now();
  const polls = Math.floor((s.days * DAY) / (s.pollMinutes * 60_000));
  const lines: string[] = [
    // An import line as an earlier release wrote it: read through the history's one converter.
    JSON.stringify({
      run_id: randomUUID(),
      command: 'import',
      outcome: 'ok',
      started_at: new Date(now - s.days * DAY).toISOString(),
      finished_at: new Date(now - s.days * DAY + 60_000).toISOString(),
      duration_ms: 60_000,
      user_id: 'alice',
      plays_new: s.importedPlays,
      files_written: 2000,
      bytes_written: s.importedPlays * 230,
    }),
  ];
  // Uneven listening: 0..6 sevenths of the average per poll, the remainder in the last poll.
  const average = s.collectedPlays / polls;
  let left = s.collectedPlays;
  for (let i = 0; i < polls; i++) {
    const plays = i === polls - 1 ? left : Math.min(left, Math.round((average * (i % 7)) / 3));
    left -= plays;
    lines.push(historyLine(now - s.days * DAY + (i + 1) * s.pollMinutes * 60_000, plays, 'alice'));
  }
  writeFileSync(path.join(stateDir, 'history', 'runs.jsonl'), `${lines.join('\n')}\n`);

  // The lake itself: 100,000 plays in one file per day. `stats` must not read any of it.
  const lakeRoot = path.join(dir, 'data', 'spotify_listening_history');
  const total = s.importedPlays + s.collectedPlays;
  const perDay = Math.ceil(total / (s.days * 4));
  let written = 0;
  let lakeFiles = 0;
  for (let d = 0; written < total; d++) {
    const date = new Date(now - d * DAY);
    const [y, m, dd] = date.toISOString().slice(0, 10).split('-');
    const folder = path.join(lakeRoot, y!, m!, dd!);
    mkdirSync(folder, { recursive: true });
    const n = Math.min(perDay, total - written);
    const body = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        played_at: new Date(date.getTime() - i * 1000).toISOString(),
        track_id: `t${written + i}`,
        user_id: 'alice',
      }),
    ).join('\n');
    writeFileSync(
      path.join(folder, `spotify_tracks_${y}${m}${dd}_000000_batch_${n}_b.json.gz`),
      gzipSync(`${body}\n`),
    );
    written += n;
    lakeFiles++;
  }
  return { lines: lines.length, lakeFiles };
}

function timeCli(cwd: string): number {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    STATE_DIR: 'state',
    DATA_DIR: 'data',
    LOG_LEVEL: 'warn',
  };
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [CLI, 'stats', '--json', '--tz', 'UTC'], { cwd, env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const lake = (JSON.parse(out.toString()) as { pipeline: { lake: { plays: number } } }).pipeline.lake;
  if (lake.plays !== 100_000) throw new Error(`stats counted ${lake.plays} plays, expected 100000`);
  return ms;
}

function timeHelp(): number {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [CLI, '--help']);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const scenarios: Scenario[] = [
  {
    name: '1 year, poll every 30 min',
    days: 365,
    pollMinutes: 30,
    importedPlays: 85_000,
    collectedPlays: 15_000,
  },
  {
    name: '3 years, poll every 10 min',
    days: 3 * 365,
    pollMinutes: 10,
    importedPlays: 55_000,
    collectedPlays: 45_000,
  },
];
console.log(`stats benchmark (node ${process.version}, ${process.platform}/${process.arch})`);
console.log(
  `baseline: \`spotify-pipeline --help\` takes ${timeHelp().toFixed(0)} ms (Node start-up and CLI wiring)`,
);
for (const s of scenarios) {
  const dir = mkdtempSync(path.join(tmpdir(), 'spp-bench-stats-'));
  try {
    const { lines, lakeFiles } = build(dir, s);
    // In process, without Node start-up: the whole history (no rollup yet), then the rollup.
    const stateDir = path.join(dir, 'state');
    const inProcess = async () => {
      const t0 = performance.now();
      statsFromRollup(await loadHistoryRollup(new LocalStateStore(stateDir)), { timeZone: 'UTC' });
      return performance.now() - t0;
    };
    const coldIn = await inProcess();
    const warmIn = await inProcess();
    rmSync(rollupFile(stateDir));
    console.log(
      `${s.name}: in process, history read and figures computed: ${coldIn.toFixed(0)} ms without a rollup, ${warmIn.toFixed(0)} ms with it`,
    );
    const cold = timeCli(dir); // no rollup yet: reads the whole history once
    const warm = Array.from({ length: 5 }, () => timeCli(dir)).sort((a, b) => a - b);
    console.log(
      `${s.name}: 100,000 plays in ${lakeFiles} lake files, ${lines.toLocaleString('en-US')} history lines -> ` +
        `\`stats --json\` end to end: first run ${cold.toFixed(0)} ms, then median ${warm[2]!.toFixed(0)} ms ` +
        `(min ${warm[0]!.toFixed(0)}, max ${warm[4]!.toFixed(0)}) over 5 runs`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
