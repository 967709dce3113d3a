import { InvalidArgumentError, type Command } from 'commander';
import { action, addAccountOption, WRITES_STATE_AND_LAKE } from './command-runner.js';

interface CollectFlags {
  json?: boolean;
  account?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InvalidArgumentError('must be a whole number of days, 1 or more');
  return n;
}

export function registerCollectCommands(program: Command): void {
  addAccountOption(
    program
      .command('run-once')
      .description('collect new plays from the Spotify Web API once, write them to the lake, print a summary')
      .option('--json', 'print the summary as one JSON object on stdout'),
  ).action(
    action(async (ctx, flags: CollectFlags) => {
      const { runCollection } = await import('../collect/run-collection.js');
      const { formatSummary } = await import('../collect/format-summary.js');
      const summary = await runCollection(ctx.config, ctx.log, {
        command: 'run-once',
        account: flags.account,
        stopBetweenAccounts: true,
      });
      process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
      return summary.exit_code;
    }, WRITES_STATE_AND_LAKE),
  );

  addAccountOption(
    program
      .command('backfill')
      .description(
        'collect what the API still holds from the last N days (the API keeps only the last 50 plays)',
      )
      .requiredOption('--days <n>', 'how many days back', positiveInt)
      .option('--json', 'print the summary as one JSON object on stdout'),
  ).action(
    action(async (ctx, flags: CollectFlags & { days: number }) => {
      const note =
        "Note: Spotify's API lists only your 50 most recent plays, whatever --days says. For older history, request your privacy-data export at spotify.com/account/privacy and run `spotify-pipeline import <zip>`.";
      process.stderr.write(`${note}\n`);
      const { runCollection } = await import('../collect/run-collection.js');
      const { formatSummary } = await import('../collect/format-summary.js');
      const sinceMs = Date.now() - flags.days * 86_400_000;
      const summary = await runCollection(ctx.config, ctx.log, {
        command: 'backfill',
        account: flags.account,
        sinceMs,
        stopBetweenAccounts: true,
      });
      process.stdout.write(
        flags.json ? `${JSON.stringify({ ...summary, note })}\n` : `${formatSummary(summary)}\n`,
      );
      return summary.exit_code;
    }, WRITES_STATE_AND_LAKE),
  );
}
