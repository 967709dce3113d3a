import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { folderError, requireWritableFolder, type FolderSetting } from '../fs/folders.js';
import { demoLakeFlags } from './demo-lake-hint.js';

const DEMO_DIR: FolderSetting = {
  name: 'The demo folder (--dir)',
  fix: 'give --dir a folder this user can write (the default is ./demo-data)',
};
const TEMP_DIR: FolderSetting = {
  name: 'The temporary folder (TMPDIR)',
  fix: 'set TMPDIR to a folder this user can write',
};

export interface DemoOptions {
  /** Folder of the demo lake (its state goes in `<dir>/.state`). */
  dir: string;
  out: string;
  plays: number;
  seed: number;
  tz?: string;
  /** Where progress lines go (stdout of the CLI). */
  print: (line: string) => void;
  color?: boolean;
}

export interface DemoResult {
  exitCode: number;
  lake: string;
  report: string;
}

/**
 * A configuration for the demo: a local lake in `dir`, its own state, nothing of the user's lake, bucket or
 * Snowflake, so evaluating the tool never touches real data.
 */
export function demoConfig(config: Config, dir: string): Config {
  const raw = Object.fromEntries(
    Object.entries(config.raw).filter(
      ([k]) => !/^(SNOWFLAKE_|SNOWPIPE_|S3_|AWS_|STATE_URL$|SPOTIFY_TOKEN_SECRET_ID$)/.test(k),
    ),
  );
  return {
    ...config,
    storage: { dataDir: dir, prefix: 'spotify_listening_history/' },
    stateDir: path.join(dir, '.state'),
    state: { kind: 'local', dir: path.join(dir, '.state') },
    raw: { ...raw, DATA_DIR: dir, STATE_DIR: path.join(dir, '.state') },
  };
}

/**
 * The whole pipeline, offline, on a generated export: the same generator as the import benchmark, then the
 * real import, lake, warehouse and report code — no separate demo path.
 */
export async function runDemo(config: Config, log: Logger, options: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(config.cwd, options.dir);
  const cfg = demoConfig(config, dir);
  const say = options.print;
  const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  // Fail at once, naming the folder, rather than part-way (a read-only disk, a path under a file, /proc).
  await requireWritableFolder(dir, DEMO_DIR, 0o777);
  await requireWritableFolder(cfg.stateDir, DEMO_DIR, 0o700);
  let exportDir: string;
  try {
    exportDir = await fs.mkdtemp(path.join(tmpdir(), 'spotify-demo-export-'));
  } catch (err) {
    throw folderError(tmpdir(), TEMP_DIR, err);
  }
  try {
    let t = Date.now();
    const { generateExport } = await import('./generate-export.js');
    const generated = await generateExport(exportDir, {
      plays: options.plays,
      seed: options.seed,
      // The start of today (UTC): recent enough for "the last 30 days", and stable, so a rerun the same day
      // generates the very same export and shows that nothing is written twice.
      end: new Date(new Date().toISOString().slice(0, 10)),
      username: 'demo-listener',
    });
    say(
      `1/4 generated a sample export: ${generated.rows.toLocaleString('en-US')} rows in ${generated.extendedFiles.length} Extended and ${generated.accountDataFiles.length} Account Data files (seed ${options.seed}, ${seconds(t)})`,
    );

    t = Date.now();
    const { runImport } = await import('../import/run-import.js');
    const { formatImportReport } = await import('../import/format-import-report.js');
    const imported = await runImport(cfg, log, { paths: [generated.path], user: 'demo-listener' });
    say(`2/4 imported into ${dir} (${seconds(t)}):`);
    say(indent(formatImportReport(imported)));
    // The report above says what was committed; the reason goes to stderr once, like `import` prints it.
    if (imported.exit_code !== 0)
      throw new PipelineError(imported.error ?? 'the import of the sample export failed', imported.exit_code);

    t = Date.now();
    const { computeListeningStats } = await import('../analytics/listening-stats.js');
    const { formatListeningStats } = await import('../analytics/format-listening-stats.js');
    const stats = await computeListeningStats(cfg, log, { tz: options.tz });
    say(`3/4 refreshed the DuckDB warehouse and computed the listening stats (${seconds(t)}):`);
    say('');
    say(formatListeningStats(stats, { color: options.color }));
    say('');

    t = Date.now();
    const { writeReport } = await import('../report/write-report.js');
    const out = path.resolve(config.cwd, options.out);
    await writeReport(cfg, log, { out, tz: options.tz });
    say(`4/4 wrote the HTML report ${out} (${seconds(t)}): open it in a browser, it works offline.`);
    say('');
    const flags = demoLakeFlags(path.relative(config.cwd, dir) || '.');
    say(`See these figures again (a plain \`stats\` reads your own lake, not the demo's):`);
    say(`  npx spotify-pipeline ${flags} stats`);
    say('Try SQL over the demo lake:');
    say(
      `  npx spotify-pipeline ${flags} query "SELECT primary_artist_name, count(*) AS plays FROM spotify_listening_history GROUP BY 1 ORDER BY 2 DESC LIMIT 5"`,
    );
    say('Then connect your own account: npx spotify-pipeline setup');
    return { exitCode: stats.lake_objects_failed.length ? 1 : 0, lake: dir, report: out };
  } finally {
    await fs.rm(exportDir, { recursive: true, force: true });
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
