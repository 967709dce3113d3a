import { InvalidArgumentError, Option, type Command } from 'commander';
import { action, addAccountOption } from './command-runner.js';

interface QueryFlags {
  format: 'table' | 'json' | 'csv';
  maxRows: number;
  refresh: boolean;
}

interface ReportFlags {
  out: string;
  year?: string;
  from?: string;
  to?: string;
  tz?: string;
  account?: string;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number, 1 or more');
  return Number(value);
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

function year(value: string): string {
  if (!/^\d{4}$/.test(value)) throw new InvalidArgumentError('must be a year such as 2024');
  return value;
}

/**
 * Writes to stdout honouring backpressure, so a large result streams with bounded memory; a reader that
 * went away (`| head`) ends the output quietly instead of crashing on EPIPE.
 */
async function stdoutSink(): Promise<(text: string) => Promise<void>> {
  const { OutputClosedError } = await import('../warehouse/result-format.js');
  let closed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    closed = true;
    process.stdout.emit('drain');
  });
  return async (text) => {
    if (closed) throw new OutputClosedError();
    if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    if (closed) throw new OutputClosedError();
  };
}

/**
 * Usage errors exit 2 (docs/commands.md, exit codes). The root program's exitOverride is set after the commands are registered,
 * and commander copies it only into subcommands created after it, so these commands set it themselves.
 */
function usageExit(err: { exitCode: number }): never {
  process.exit(err.exitCode === 0 ? 0 : 2);
}

export function registerWarehouseCommands(program: Command): void {
  program
    .command('query')
    .exitOverride(usageExit)
    .description(
      'run SQL over the lake with the embedded DuckDB warehouse (tables spotify_listening_history and spotify_episode_history, empty until episodes are imported); new lake objects are loaded first',
    )
    .argument('<sql>', 'the SQL, e.g. "SELECT count(*) FROM spotify_listening_history"')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
    )
    .option('--max-rows <n>', 'rows shown by the table format (json and csv print all)', positiveInt, 1000)
    .option('--no-refresh', 'query the warehouse as it is, without loading new lake objects first')
    .addHelpText(
      'after',
      `
Examples:
  $ spotify-pipeline query "SELECT played_at_date, count(*) AS plays FROM spotify_listening_history GROUP BY 1 ORDER BY 1 DESC LIMIT 7"
  $ spotify-pipeline query --format csv "SELECT * FROM spotify_listening_history" > plays.csv

The warehouse lives in STATE_DIR/warehouse/spotify.duckdb and can be deleted at any time: it is rebuilt from the lake.
Timestamps are UTC; for local time use (played_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Berlin'.`,
    )
    .action(
      action(async (ctx, sql: string, flags: QueryFlags) => {
        const { runQuery } = await import('../warehouse/run-query.js');
        return runQuery(ctx.config, ctx.log, sql, {
          format: flags.format,
          maxTableRows: flags.maxRows,
          refresh: flags.refresh,
          stdout: await stdoutSink(),
          stderr: (text) => process.stderr.write(text),
        });
      }),
    );

  addAccountOption(
    program
      .command('report')
      .exitOverride(usageExit)
      .description(
        'write a self-contained HTML report with charts (works offline, opens from disk, fits a phone): minutes per day, hour-by-weekday heatmap, top artists, tracks and albums (linked to Spotify), new artists discovered; every account in the lake together unless --account picks one',
      )
      .requiredOption('--out <file>', 'the HTML file to write, e.g. report.html')
      .option('--year <yyyy>', 'one calendar year (default: the last 12 months)', year)
      .option('--from <date>', 'first local date, YYYY-MM-DD', isoDate)
      .option('--to <date>', 'last local date, YYYY-MM-DD (default today)', isoDate)
      .option('--tz <zone>', "IANA timezone for days and hours (default: this machine's)")
      .option('--json', 'print the result as one JSON object on stdout'),
  ).action(
    action(async (ctx, flags: ReportFlags & { json?: boolean }) => {
      const { writeReport } = await import('../report/write-report.js');
      const { ConfigError } = await import('../errors.js');
      if (flags.year && (flags.from || flags.to))
        throw new ConfigError('Give either --year or --from/--to, not both.');
      const period = flags.year ? { from: `${flags.year}-01-01`, to: `${flags.year}-12-31` } : flags;
      const result = await writeReport(ctx.config, ctx.log, {
        out: flags.out,
        from: period.from,
        to: period.to,
        tz: flags.tz,
        account: flags.account,
        onWarning: (text) => process.stderr.write(`${text}\n`),
      });
      const code = result.failedObjects > 0 ? 1 : 0;
      if (flags.json) {
        // The keys every --json summary has (ok, outcome, exit_code), then the report's own, snake_case.
        const summary = {
          ok: code === 0,
          command: 'report',
          outcome: code === 0 ? 'ok' : 'failed',
          exit_code: code,
          out: result.out,
          from: result.from,
          to: result.to,
          timezone: result.timezone,
          plays: result.plays,
          bytes: result.bytes,
          failed_objects: result.failedObjects,
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        process.stdout.write(
          `Report written to ${result.out}: ${result.plays.toLocaleString('en-US')} plays from ${result.from} to ${result.to} (${result.timezone}).\n`,
        );
      }
      return code;
    }),
  );
}
