/**
 * Scale benchmark over a lake made by scripts/generate-lake.ts: the warehouse's first load, an incremental
 * refresh after one new day of objects, the sample queries, and `stats` / `report` end to end, each in a
 * fresh process so its peak RSS is its own. Prints figures; asserts nothing.
 *
 *   npx tsx scripts/bench-scale.ts --lake /work/bigdata/lake-10m --state /work/bigdata/state-10m \
 *     [--first-load] [--rounds 5] [--skip-cli]
 *
 * `--first-load` deletes the warehouse and times the load from scratch (once: it is minutes at 10M).
 * Each incremental round writes the next empty day after the lake's history (5 accounts, an average day each)
 * and times open + list + load + close, as `query` pays it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DAILY_SUMMARY_SQL, TOP_ARTISTS_THIS_MONTH_SQL } from '../src/analytics/sample-queries.js';
import { loadConfig } from '../src/config.js';
import { LocalObjectStore } from '../src/lake/local-store.js';
import { silentLogger } from '../src/log.js';
import { warehouseResources } from '../src/warehouse/duckdb-settings.js';
import { openWarehouse, warehousePath } from '../src/warehouse/warehouse.js';
import { DAY_MS, TRACKS_PREFIX, accountId, dayObjects, type LakeShape } from './synthetic-lake.js';

const { values } = parseArgs({
  options: {
    lake: { type: 'string' },
    state: { type: 'string' },
    'first-load': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    'skip-cli': { type: 'boolean', default: false },
    step: { type: 'string' },
  },
});
if (!values.lake || !values.state) throw new Error('--lake DIR and --state DIR are required');
const LAKE = path.resolve(values.lake);
const STATE = path.resolve(values.state);
const ROOT = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(ROOT, '..', 'bin', 'spotify-pipeline.js');
// WAREHOUSE_MEMORY_LIMIT / WAREHOUSE_THREADS pass through, to compare settings.
const env: Record<string, string> = { DATA_DIR: LAKE, STATE_DIR: STATE };
for (const name of ['WAREHOUSE_MEMORY_LIMIT', 'WAREHOUSE_THREADS'])
  if (process.env[name]) env[name] = process.env[name]!;
const config = () => loadConfig({ cwd: STATE, env });

export const ALL_TIME_TOP_ARTISTS_SQL = `SELECT primary_artist_name, count(*) AS plays, count(DISTINCT track_id) AS unique_tracks
FROM spotify_listening_history GROUP BY primary_artist_name ORDER BY plays DESC LIMIT 10`;
export const PER_ACCOUNT_SQL = `SELECT user_id, count(*) AS plays, count(DISTINCT track_id) AS unique_tracks,
  round(sum(coalesce(ms_played, track_duration_ms)) / 3600000.0) AS hours, min(played_at) AS first, max(played_at) AS last
FROM spotify_listening_history GROUP BY user_id ORDER BY user_id`;
const ONE_ACCOUNT_MONTH_SQL = `SELECT played_at_date, count(*) AS plays FROM spotify_listening_history
WHERE user_id = '${accountId(2)}' AND played_at >= current_date - INTERVAL 30 DAY GROUP BY 1 ORDER BY 1`;
const QUERIES: [string, string][] = [
  ['daily summary (last 30 days)', DAILY_SUMMARY_SQL],
  ['top artists this month', TOP_ARTISTS_THIS_MONTH_SQL],
  ['top artists all time', ALL_TIME_TOP_ARTISTS_SQL],
  ['per account totals', PER_ACCOUNT_SQL],
  ['one account, last 30 days', ONE_ACCOUNT_MONTH_SQL],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${(x / 1000).toFixed(3)} s`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const spread = (xs: number[]) =>
  `median ${ms(median(xs))} (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))}, ${xs.length} runs)`;

/** Steps that run in their own process: print one JSON line with their figures and peak RSS (KB). */
async function step(name: string): Promise<void> {
  const t = Date.now();
  let figures: Record<string, unknown> = {};
  if (name === 'refresh') {
    // DuckDB's native module loads once per process (about 0.4-0.9 s here): timed apart from the refresh.
    await import('@duckdb/node-api');
    const importMs = Date.now() - t;
    const wh = await openWarehouse(config(), silentLogger);
    const r = await wh.refresh();
    wh.close();
    figures = {
      importMs,
      objectsLoaded: r.objectsLoaded,
      rowsLoaded: r.rowsLoaded,
      already: r.objectsAlreadyLoaded,
      tables: r.tables,
    };
  } else if (name === 'queries') {
    const wh = await openWarehouse(config(), silentLogger, { readOnly: true });
    const times: Record<string, number[]> = {};
    for (let run = 0; run < Number(values.runs); run++) {
      for (const [label, sql] of QUERIES) {
        const s = performance.now();
        await wh.rows(sql);
        (times[label] ??= []).push(performance.now() - s);
      }
    }
    wh.close();
    figures = { times };
  }
  console.log(JSON.stringify({ ...figures, ms: Date.now() - t, maxRssKb: process.resourceUsage().maxRSS }));
}

/**
 * The refresh as the CLI runs it: plain Node on the built dist/ (under tsx the same code ran several times
 * slower in a fresh process, which is not what a user's `query` pays). Prints the same JSON line as `step`.
 */
function runBuiltRefresh(): Record<string, unknown> & { ms: number; maxRssKb: number } {
  const dist = path.join(ROOT, '..', 'dist');
  const code = `
    const t = Date.now();
    await import('@duckdb/node-api');
    const importMs = Date.now() - t;
    const { loadConfig } = await import(${JSON.stringify(path.join(dist, 'config.js'))});
    const { silentLogger } = await import(${JSON.stringify(path.join(dist, 'log.js'))});
    const { openWarehouse } = await import(${JSON.stringify(path.join(dist, 'warehouse', 'warehouse.js'))});
    const wh = await openWarehouse(loadConfig({ cwd: process.env.STATE_DIR, env: process.env }), silentLogger);
    const r = await wh.refresh();
    wh.close();
    console.log(JSON.stringify({ importMs, objectsLoaded: r.objectsLoaded, rowsLoaded: r.rowsLoaded,
      already: r.objectsAlreadyLoaded, ms: Date.now() - t, maxRssKb: process.resourceUsage().maxRSS }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: path.join(ROOT, '..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function runStep(name: string): Record<string, unknown> & { ms: number; maxRssKb: number } {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), `--step=${name}`],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** A CLI command end to end in a child under /usr/bin/time: wall time and peak RSS. */
function runCli(args: string[]): { ms: number; maxRssKb: number; stdout: string } {
  const t = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M', process.execPath, CLI, ...args], {
    cwd: STATE,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = Date.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const rss = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1]);
  return { ms: elapsed, maxRssKb: rss, stdout: r.stdout };
}

/** Writes the objects of the first day after the history that has none yet; returns its date. */
async function addOneDay(shape: LakeShape): Promise<string> {
  let day = shape.endDay + DAY_MS;
  const folder = (d: number) =>
    path.join(LAKE, TRACKS_PREFIX, new Date(d).toISOString().slice(0, 10).replaceAll('-', '/'));
  while (existsSync(folder(day))) day += DAY_MS;
  const days = (shape.endDay - shape.startDay) / DAY_MS + 1;
  const perAccount = Math.round(shape.plays / shape.accounts / days);
  const store = new LocalObjectStore(LAKE);
  for (let a = 0; a < shape.accounts; a++)
    for (const o of dayObjects(shape, a, day, perAccount)) await store.putIfAbsent(o.key, o.body);
  return `${new Date(day).toISOString().slice(0, 10)} (${shape.accounts} objects, ${(perAccount * shape.accounts).toLocaleString('en-US')} plays)`;
}

async function main() {
  const shape = JSON.parse(readFileSync(`${LAKE}.shape.json`, 'utf8')) as LakeShape;
  mkdirSync(STATE, { recursive: true });
  const { memoryLimit, threads } = warehouseResources(config());
  console.log(
    `scale benchmark (node ${process.version}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB), lake ${LAKE}: ${shape.plays.toLocaleString('en-US')} plays of ${shape.accounts} accounts; DuckDB memory_limit ${memoryLimit}, threads ${threads}`,
  );
  const dbFile = warehousePath(config());
  if (values['first-load'] || !existsSync(dbFile)) {
    rmSync(path.dirname(dbFile), { recursive: true, force: true });
    const r = runStep('refresh');
    console.log(
      `first load:          ${ms(r.ms)}, peak RSS ${mb(r.maxRssKb)} (${r.objectsLoaded} objects, ${Number(r.rowsLoaded).toLocaleString('en-US')} rows; warehouse file ${(statSync(dbFile).size / 1e6).toFixed(0)} MB)`,
    );
  }
  const incremental: number[] = [];
  const withImport: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    const added = await addOneDay(shape);
    const r = runBuiltRefresh();
    withImport.push(r.ms);
    incremental.push(r.ms - Number(r.importMs));
    rss.push(r.maxRssKb);
    if (i === 0)
      console.log(`  new day ${added}: loaded ${r.objectsLoaded} objects, ${r.already} already loaded`);
  }
  if (incremental.length > 0) {
    console.log(
      `incremental refresh: ${spread(incremental)}, peak RSS ${mb(Math.max(...rss))} (one new day; open + list + load + close)`,
    );
    console.log(`  the same with loading DuckDB's module (a fresh CLI process): ${spread(withImport)}`);
  }
  const q = runStep('queries');
  for (const [label, times] of Object.entries(q.times as Record<string, number[]>))
    console.log(`query ${label.padEnd(28)} ${spread(times)}`);
  console.log(`queries process peak RSS ${mb(q.maxRssKb)}`);
  if (values['skip-cli']) return;
  const stats: number[] = [];
  const statsRss: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const r = runCli(['stats', '--json', '--tz', 'Europe/Berlin']);
    stats.push(r.ms);
    statsRss.push(r.maxRssKb);
  }
  console.log(
    `stats --json:        ${spread(stats)}, peak RSS ${mb(median(statsRss))} (median; max ${mb(Math.max(...statsRss))})`,
  );
  const report: number[] = [];
  const reportRss: number[] = [];
  const out = path.join(STATE, 'report.html');
  for (let i = 0; i < Number(values.runs); i++) {
    const r = runCli(['report', '--out', out, '--tz', 'Europe/Berlin']);
    report.push(r.ms);
    reportRss.push(r.maxRssKb);
  }
  console.log(
    `report:              ${spread(report)}, peak RSS ${mb(median(reportRss))} (median; max ${mb(Math.max(...reportRss))}); file ${(statSync(out).size / 1024).toFixed(0)} KB`,
  );
}

if (values.step) await step(values.step);
else await main();
