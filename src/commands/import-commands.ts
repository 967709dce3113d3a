import { InvalidArgumentError, type Command } from 'commander';
import { action, WRITES_STATE_AND_LAKE } from './command-runner.js';

interface ImportFlags {
  json?: boolean;
  user?: string;
  minMsPlayed?: number;
  enrich?: boolean;
  progress?: boolean;
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError('must be a whole number of milliseconds, 0 or more');
  return Number(value);
}

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description(
      "import Spotify's privacy-data export (the zip, its folder, or its JSON files) into the lake, exactly once; a rerun resumes",
    )
    .argument(
      '<path...>',
      'my_spotify_data.zip, the extracted folder, or Streaming_History_*.json / StreamingHistory_music_*.json files',
    )
    .option(
      '--user <id>',
      'Spotify user id of rows that do not name one (default: the only connected account)',
    )
    .option(
      '--min-ms-played <ms>',
      'skip plays shorter than this, as the API does (default MIN_MS_PLAYED, 30000)',
      nonNegativeInt,
    )
    .option(
      '--enrich',
      'fill duration, explicit, artist/album ids, album type/date, ISRC, popularity from the Web API (cached in STATE_DIR)',
    )
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--json', 'print the report as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nExtended Streaming History (Streaming_History_Audio_*.json, endsong_*.json) and Account Data\n(StreamingHistory_music_*.json) are read; the rest of the export is ignored. Podcast episodes go to\nthe spotify_episode_history/ dataset; audiobooks, incognito and short plays are counted and skipped.',
    )
    .action(
      action(async (ctx, paths: string[], flags: ImportFlags) => {
        const { runImport } = await import('../import/run-import.js');
        const { formatImportReport } = await import('../import/format-import-report.js');
        const { minMsPlayedSetting } = await import('../player/player-settings.js');
        const bar =
          flags.progress !== false && !ctx.quiet && process.stderr.isTTY
            ? (await import('../import/import-progress.js')).terminalProgress()
            : undefined;
        let report;
        try {
          report = await runImport(ctx.config, ctx.log, {
            paths,
            user: flags.user,
            minMsPlayed: flags.minMsPlayed ?? minMsPlayedSetting(ctx.config.raw),
            enrich: flags.enrich,
            onProgress: bar?.update,
          });
        } finally {
          bar?.stop();
        }
        // `ok` first, as in `run-once --json`: scripts test one key on success and failure alike.
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ ok: report.outcome === 'ok', ...report })}\n`
            : `${formatImportReport(report)}\n`,
        );
        if (report.error) process.stderr.write(`error: ${report.error}\n`);
        return report.exit_code;
      }, WRITES_STATE_AND_LAKE),
    );
}
