/**
 * Warehouse benchmark: builds a lake of N plays (default 1,000,000 over ~8 years, thousands of artists)
 * with the project's own writer, then times the first refresh, an incremental refresh with 1,000 new plays,
 * and the daily-summary query. Run: `npm run bench:warehouse [-- --plays 1000000 --keep DIR]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { DAILY_SUMMARY_SQL } from '../src/analytics/sample-queries.js';
import { buildObjects } from '../src/lake/build-objects.js';
import { recordToJsonLine } from '../src/lake/encode.js';
import { tracksDataset } from '../src/lake/layout.js';
import { LocalObjectStore } from '../src/lake/local-store.js';
import { silentLogger } from '../src/log.js';
import type { ListeningRecord } from '../src/record/schema.js';
import { playTimeFromMs } from '../src/record/time.js';
import { openWarehouse } from '../src/warehouse/warehouse.js';

const { values } = parseArgs({
  options: {
    plays: { type: 'string', default: '1000000' },
    years: { type: 'string', default: '8' },
    keep: { type: 'string' },
  },
});
const TOTAL = Number(values.plays);
const YEARS = Number(values.years);
const PREFIX = 'spotify_listening_history/';

/** A small deterministic PRNG (mulberry32): the same lake on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const ARTISTS = 6000;
const TRACKS = 60_000;
/** Zipf-like: a few favourites, a long tail. */
const pick = (n: number) => Math.min(n - 1, Math.floor(n * random() ** 3));
const HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3, 4, 3, 3, 3, 4, 5, 6, 6, 5, 4, 3, 2];
const HOUR_CDF = (() => {
  let sum = 0;
  const cumulative = HOUR_WEIGHTS.map((w) => (sum += w));
  return cumulative.map((v) => v / sum);
})();

function record(
  ms: number,
  source: ListeningRecord['data_source'] = 'spotify_extended_streaming_history',
): ListeningRecord {
  const t = pick(TRACKS);
  const a = t % ARTISTS;
  const duration = 120_000 + ((t * 7919) % 240_000);
  return {
    ...playTimeFromMs(ms),
    track_id: `track${t.toString(36).padStart(6, '0')}`,
    track_name: `Track ${t}`,
    track_duration_ms: duration,
    track_popularity: null,
    track_explicit: t % 11 === 0,
    isrc: null,
    primary_artist_id: `artist${a.toString(36).padStart(5, '0')}`,
    primary_artist_name: `Artist ${a}`,
    artist_names: a % 5 === 0 ? [`Artist ${a}`, `Artist ${(a + 1) % ARTISTS}`] : [`Artist ${a}`],
    album_id: `album${(t >> 3).toString(36)}`,
    album_name: `Album ${t >> 3}`,
    album_type: 'album',
    album_release_date: String(1970 + (t % 55)),
    context_type: 'playlist',
    context_uri: null,
    ms_played: Math.round(duration * (0.5 + random() / 2)),
    reason_start: 'trackdone',
    reason_end: 'trackdone',
    shuffle: random() < 0.4,
    skipped: false,
    offline: false,
    platform: 'android',
    conn_country: 'DE',
    user_id: 'bench_user',
    data_source: source,
    ingested_at: new Date().toISOString(),
  };
}

/** `count` plays spread over the days from `startMs`, each day one object, as the collector writes it. */
async function writeDays(
  store: LocalObjectStore,
  startMs: number,
  days: number,
  count: number,
  source?: ListeningRecord['data_source'],
) {
  let objects = 0;
  let written = 0;
  for (let d = 0; d < days; d++) {
    const n = Math.round(((d + 1) * count) / days) - written;
    const dayStart = startMs + d * 86_400_000;
    const records: ListeningRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = random();
      const hour = HOUR_CDF.findIndex((c) => c >= r);
      records.push(record(dayStart + hour * 3_600_000 + Math.floor(random() * 3_600_000), source));
    }
    written += n;
    for (const o of buildObjects(tracksDataset(PREFIX), records, recordToJsonLine)) {
      await store.putIfAbsent(o.key, o.body);
      objects++;
    }
  }
  return objects;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

async function main() {
  const root = values.keep ?? mkdtempSync(path.join(tmpdir(), 'bench-warehouse-'));
  const config = loadConfig({
    cwd: root,
    env: { DATA_DIR: path.join(root, 'data'), STATE_DIR: path.join(root, 'state') },
  });
  const store = new LocalObjectStore(config.storage.dataDir);
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days = Math.round(YEARS * 365.25);
  const start = today - days * 86_400_000;

  let t = Date.now();
  const objects = await writeDays(store, start, days, TOTAL);
  console.log(
    `lake: ${TOTAL.toLocaleString('en-US')} plays in ${objects} objects over ${days} days, written in ${seconds(Date.now() - t)} (${root})`,
  );

  t = Date.now();
  let wh = await openWarehouse(config, silentLogger);
  const first = await wh.refresh();
  wh.close();
  const firstMs = Date.now() - t;
  console.log(
    `first refresh:       ${seconds(firstMs)}  (${first.objectsLoaded} objects, ${first.rowsLoaded.toLocaleString('en-US')} rows)`,
  );

  // 1,000 new plays arrive, as a day of collection would write them (today's objects).
  await writeDays(store, today, 1, 1000, 'spotify_recently_played_api');
  t = Date.now();
  wh = await openWarehouse(config, silentLogger);
  const incremental = await wh.refresh();
  wh.close();
  const incMs = Date.now() - t;
  console.log(
    `incremental refresh: ${seconds(incMs)}  (${incremental.objectsLoaded} new object(s), ${incremental.rowsLoaded.toLocaleString('en-US')} rows; ${incremental.objectsAlreadyLoaded} objects skipped as already loaded; open + list + load + close)`,
  );

  wh = await openWarehouse(config, silentLogger, { readOnly: true });
  t = Date.now();
  const summary = await wh.rows(DAILY_SUMMARY_SQL);
  const queryMs = Date.now() - t;
  wh.close();
  console.log(
    `daily-summary query: ${seconds(queryMs)}  (${summary.rows.length} days, over ${incremental.tables.spotify_listening_history?.toLocaleString('en-US')} rows)`,
  );

  const ok = queryMs < 1000 && incMs < 1000;
  console.log(`targets (query < 1 s, incremental refresh < 1 s): ${ok ? 'met' : 'NOT met'}`);
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}

await main();
