/**
 * Import benchmark (not a test): `npm run bench:import [-- --plays N] [--seed N] [--dir PATH] [--runs N]`.
 * Generates a seeded realistic export (default 500,000 Extended rows in ~16,000-row files plus a year of
 * Account Data), imports it into a fresh local lake in a child process (scripts/bench-import-child.mjs, so
 * peak RSS is the import's alone), then times the two references on the same data:
 *  - the floor: `gzip -6` of the import's own output, uncompressed (one NDJSON file);
 *  - DuckDB (@duckdb/node-api) doing the same read → transform → write gzip NDJSON partitioned by date, for
 *    both datasets the import writes (tracks, and podcast episodes in their own), without deduplication.
 *    DuckDB 1.5 cannot partition FORMAT JSON, so each row is rendered with to_json() and written through
 *    the CSV writer with no quoting (one JSON object per line: the same bytes a JSON writer would give).
 *    The tracks-only job of earlier versions of this benchmark is timed too, to compare with older figures.
 * Each of `--runs` rounds (default 3) times all of them again; the summary gives each figure's median.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The project root: the nearest folder above this script holding package.json (run by tsx or compiled). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const ROOT = projectRoot();
/**
 * Where the export and the lakes go (`--dir PATH`; default .bench/ in the project). Creating thousands of
 * folders costs very different amounts of kernel time in different places of one ext4 disk (how full the
 * block groups near the folder are), and both the import and DuckDB pay it: compare runs in one place.
 */
function benchDir(): string {
  const i = process.argv.indexOf('--dir');
  return i >= 0 ? path.resolve(process.argv[i + 1]!) : path.join(ROOT, '.bench');
}
const BENCH = benchDir();

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function listFiles(dir: string, suffix = '.json.gz'): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full, suffix)));
    else if (e.name.endsWith(suffix)) out.push(full);
  }
  return out.sort();
}

/**
 * Flushes what earlier steps left to write back (a freshly generated export is 350 MB to 1.5 GB, a finished
 * round deletes thousands of files), so that no one timed after it pays for it: the import's filesystem
 * flushes would otherwise wait for all of it.
 */
function settle(): void {
  execFileSync('sync');
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

async function main(): Promise<void> {
  const plays = arg('plays', 500_000);
  const seed = arg('seed', 42);
  const exportDir = path.join(BENCH, `export-${plays}-${seed}`);
  const { generateExport } = await import('../src/demo/generate-export.js');
  if (!existsSync(path.join(exportDir, '.complete'))) {
    process.stderr.write(`generating a ${plays.toLocaleString('en-US')}-row export (seed ${seed})...\n`);
    await fs.rm(exportDir, { recursive: true, force: true });
    await generateExport(exportDir, { plays, seed });
    await fs.writeFile(path.join(exportDir, '.complete'), '');
  }

  const runs = arg('runs', 3);
  const results: RunFigures[] = [];
  for (let r = 1; r <= runs; r++) {
    process.stderr.write(`run ${r} of ${runs}...\n`);
    const figures = await measureOnce(exportDir);
    results.push(figures);
    if (runs > 1) process.stderr.write(`${describe(figures, `run ${r}`).join('\n')}\n`);
  }
  // Medians: this machine's speed drifts by 10-20 % within minutes, for the import and the references alike.
  const median = (pick: (f: RunFigures) => number) => {
    const sorted = results.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const summary: RunFigures = {
    ...results[0]!,
    seconds: median((f) => f.seconds),
    maxRssKb: Math.max(...results.map((f) => f.maxRssKb)),
    gzipSeconds: median((f) => f.gzipSeconds),
    duckFull: { ...results[0]!.duckFull, seconds: median((f) => f.duckFull.seconds) },
    duckTracks: { ...results[0]!.duckTracks, seconds: median((f) => f.duckTracks.seconds) },
  };
  const { report } = summary;
  const head = `import benchmark: ${report.rows_read.toLocaleString('en-US')} export rows (${report.files_found.extended} Extended + ${report.files_found.account_data} Account Data files), seed ${seed}, node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`;
  const label = runs > 1 ? `median of ${runs} runs (peak RSS: the highest)` : 'one run';
  process.stdout.write(`${[head, ...describe(summary, label)].join('\n')}\n`);
}

interface DuckFigures {
  seconds: number;
  files: number;
  bytes: number;
}

interface RunFigures {
  seconds: number;
  maxRssKb: number;
  report: import('../src/import/run-import.js').ImportReport;
  uncompressed: number;
  gzipSeconds: number;
  duckFull: DuckFigures;
  duckTracks: DuckFigures;
}

function describe(f: RunFigures, label: string): string[] {
  const { report, seconds } = f;
  const rows = report.rows_read;
  return [
    `  ${label}:`,
    `  import:      ${seconds.toFixed(2)} s, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, peak RSS ${(f.maxRssKb / 1024).toFixed(0)} MB`,
    `               ${report.rows_written.toLocaleString('en-US')} plays + ${report.episodes_written.toLocaleString('en-US')} episodes written, ${report.plays_already_present.toLocaleString('en-US')} already present, ${report.rows_skipped.toLocaleString('en-US')} skipped; ${report.objects_written.toLocaleString('en-US')} objects, ${mb(report.bytes_written)} MB`,
    `  gzip -6 of the same output (${(f.uncompressed / 1048576).toFixed(0)} MB NDJSON): ${f.gzipSeconds.toFixed(2)} s  → import / gzip floor = ${(seconds / f.gzipSeconds).toFixed(2)}× (target ≤ 2×)`,
    `  DuckDB read → transform → COPY partitioned gzip JSON, tracks and episodes (no dedupe): ${f.duckFull.seconds.toFixed(2)} s, ${f.duckFull.files.toLocaleString('en-US')} files, ${mb(f.duckFull.bytes)} MB  → import / DuckDB = ${(seconds / f.duckFull.seconds).toFixed(2)}× (target < 1×)`,
    `  (DuckDB, tracks only, as benchmarked before: ${f.duckTracks.seconds.toFixed(2)} s, ${f.duckTracks.files.toLocaleString('en-US')} files  → import / that = ${(seconds / f.duckTracks.seconds).toFixed(2)}×)`,
    `  peak RSS target < 300 MB: ${f.maxRssKb / 1024 < 300 ? 'met' : 'NOT met'}`,
  ];
}

/** One import into a fresh lake, then the floor and the two DuckDB jobs on the same data. */
async function measureOnce(exportDir: string): Promise<RunFigures> {
  const run = path.join(BENCH, `run-${Date.now()}`);
  await fs.mkdir(run, { recursive: true });
  try {
    settle();
    const out = await new Promise<string>((resolve, reject) => {
      // Plain node on the compiled import, as the CLI runs it (`npm run bench:import` builds it first).
      const p = spawn(
        process.execPath,
        [path.join(ROOT, 'scripts', 'bench-import-child.mjs'), exportDir, run],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.on('close', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`import child exited ${code}`)),
      );
    });
    const { seconds, maxRssKb, report } = JSON.parse(out) as Pick<
      RunFigures,
      'seconds' | 'maxRssKb' | 'report'
    >;
    if (report.outcome !== 'ok') throw new Error(`import failed: ${report.error}`);

    // The floor: gzip -6 of exactly what the import wrote, uncompressed.
    const ndjson = path.join(run, 'output.ndjson');
    const sink = createWriteStream(ndjson);
    let uncompressed = 0;
    for (const f of await listFiles(path.join(run, 'data'))) {
      const body = gunzipSync(await fs.readFile(f));
      uncompressed += body.length;
      if (!sink.write(body)) await new Promise<void>((r) => sink.once('drain', () => r()));
    }
    await new Promise<void>((r) => sink.end(() => r()));
    settle();
    const g0 = performance.now();
    execFileSync('sh', ['-c', `gzip -6 -c '${ndjson}' > '${ndjson}.gz'`]);
    const gzipSeconds = (performance.now() - g0) / 1000;

    // DuckDB: the same read → transform → partitioned gzip JSON write, in SQL: the tracks and, as the import
    // writes them to a dataset of their own, the podcast episodes (one scan of the export for both).
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await DuckDBInstance.create(':memory:');
    const con = await duck.connect();
    const ext = path.join(exportDir, 'Spotify Extended Streaming History', 'Streaming_History_Audio_*.json');
    const acct = path.join(exportDir, 'Spotify Account Data', 'StreamingHistory_music_*.json');
    const timeStamp = (t: string) => `strftime(${t}, '%Y-%m-%dT%H:%M:%S.000Z')`;
    const inputs = `
        ext AS (
          SELECT * FROM read_json('${ext}', format = 'array', maximum_object_size = 1048576)
        ), acct AS (
          SELECT * FROM read_json('${acct}', format = 'array')
        ), tracks AS (
          SELECT ${timeStamp('ts::TIMESTAMP')} AS played_at, epoch(ts::TIMESTAMP)::BIGINT AS played_at_timestamp,
            strftime(ts::TIMESTAMP, '%Y-%m-%d') AS played_at_date, hour(ts::TIMESTAMP) AS played_at_hour,
            split_part(spotify_track_uri, ':', 3) AS track_id, master_metadata_track_name AS track_name,
            NULL AS track_duration_ms, NULL AS track_popularity, NULL AS track_explicit, NULL AS isrc,
            NULL AS primary_artist_id, master_metadata_album_artist_name AS primary_artist_name,
            [master_metadata_album_artist_name] AS artist_names, NULL AS album_id,
            master_metadata_album_album_name AS album_name, NULL AS album_type, NULL AS album_release_date,
            NULL AS context_type, NULL AS context_uri, ms_played, reason_start, reason_end, shuffle, skipped, offline,
            platform, conn_country, 'demo-user' AS user_id, 'spotify_extended_streaming_history' AS data_source,
            ${timeStamp('now()::TIMESTAMP')} AS ingested_at
          FROM ext
          WHERE ms_played >= 30000 AND NOT coalesce(incognito_mode, false)
            AND spotify_track_uri LIKE 'spotify:track:%' AND master_metadata_track_name IS NOT NULL
          UNION ALL
          SELECT ${timeStamp("strptime(endTime, '%Y-%m-%d %H:%M')")},
            epoch(strptime(endTime, '%Y-%m-%d %H:%M'))::BIGINT, strftime(strptime(endTime, '%Y-%m-%d %H:%M'), '%Y-%m-%d'),
            hour(strptime(endTime, '%Y-%m-%d %H:%M')), NULL, trackName, NULL, NULL, NULL, NULL, NULL, artistName,
            [artistName], NULL, NULL, NULL, NULL, NULL, NULL, msPlayed, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            'demo-user', 'spotify_account_data', ${timeStamp('now()::TIMESTAMP')}
          FROM acct WHERE msPlayed >= 30000 AND trackName IS NOT NULL
        ), episodes AS (
          SELECT ${timeStamp('ts::TIMESTAMP')} AS played_at, epoch(ts::TIMESTAMP)::BIGINT AS played_at_timestamp,
            strftime(ts::TIMESTAMP, '%Y-%m-%d') AS played_at_date, hour(ts::TIMESTAMP) AS played_at_hour,
            split_part(spotify_episode_uri, ':', 3) AS episode_id, coalesce(episode_name, '') AS episode_name,
            episode_show_name AS show_name, ms_played, reason_start, reason_end, shuffle, skipped, offline, platform,
            conn_country, 'demo-user' AS user_id, 'spotify_extended_streaming_history' AS data_source,
            ${timeStamp('now()::TIMESTAMP')} AS ingested_at
          FROM ext
          WHERE ms_played >= 30000 AND NOT coalesce(incognito_mode, false) AND spotify_track_uri IS NULL
            AND (spotify_episode_uri IS NOT NULL OR episode_name IS NOT NULL)
        )`;
    const copyOptions = `FORMAT CSV, HEADER false, DELIMITER '\t', QUOTE '', ESCAPE '', COMPRESSION GZIP`;
    const duckJob = async (name: string, sql: string): Promise<DuckFigures> => {
      const out = path.join(run, name);
      settle();
      const t0 = performance.now();
      await con.run(sql.replaceAll('{out}', out));
      const seconds = (performance.now() - t0) / 1000;
      const files = await listFiles(out, '.csv.gz');
      let bytes = 0;
      for (const f of files) bytes += (await fs.stat(f)).size;
      return { seconds, files: files.length, bytes };
    };
    const duckFull = await duckJob(
      'duckdb',
      `COPY (
        WITH ${inputs}
        SELECT to_json(tracks)::VARCHAR AS line, 'spotify_listening_history' AS dataset, played_at_date AS day FROM tracks
        UNION ALL
        SELECT to_json(episodes)::VARCHAR, 'spotify_episode_history', played_at_date FROM episodes
      ) TO '{out}' (${copyOptions}, PARTITION_BY (dataset, day))`,
    );
    // The narrower job of the earlier benchmark (tracks only), for comparison with earlier figures.
    const duckTracks = await duckJob(
      'duckdb-tracks',
      `COPY (
        WITH ${inputs}
        SELECT to_json(tracks)::VARCHAR AS line, played_at_date AS day FROM tracks
      ) TO '{out}' (${copyOptions}, PARTITION_BY (day))`,
    );
    con.closeSync();
    duck.closeSync();
    return { seconds, maxRssKb, report, uncompressed, gzipSeconds, duckFull, duckTracks };
  } finally {
    await fs.rm(run, { recursive: true, force: true });
  }
}

await main();
