import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { action, addAccountOption } from './command-runner.js';

interface StatsFlags {
  json?: boolean;
  account?: string;
  tz?: string;
  listening?: boolean;
}

/** The time zone for per-day figures: --tz, else the system's own. */
function timeZoneOf(flag: string | undefined): string {
  const zone = flag ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ConfigError(
      `--tz "${zone}" is not a time zone: use an IANA name such as UTC or Europe/Berlin.`,
    );
  }
  return zone;
}

export function registerStatsCommand(program: Command): void {
  addAccountOption(
    program
      .command('stats')
      .description(
        'pipeline statistics (runs, success rate, freshness, lake size) and listening analytics (top artists, tracks and albums, skips, hours, streaks); with several accounts in the lake, each one and their household total unless --account picks one',
      )
      .option('--json', 'print the figures as one JSON object on stdout')
      .option('--tz <zone>', 'time zone for per-day figures (IANA name; default: the system time zone)')
      .option(
        '--no-listening',
        'only the pipeline figures (skip the listening analytics and the warehouse refresh)',
      ),
  ).action(
    action(async (ctx, flags: StatsFlags) => {
      const timeZone = timeZoneOf(flags.tz);
      const { loadPipelineStats } = await import('../runs/load-stats.js');
      const { formatPipelineStats } = await import('../runs/format.js');
      const pipeline = await loadPipelineStats(ctx.config, ctx.log, { timeZone, account: flags.account });
      const report: Record<string, unknown> = { pipeline };
      const sections: string[] = [formatPipelineStats(pipeline)];

      let exitCode = 0;
      if (flags.listening !== false) {
        // The listening analytics refresh the DuckDB warehouse from the lake first (only objects not yet loaded).
        const { computeListeningStats } = await import('../analytics/listening-stats.js');
        const { formatListeningStats } = await import('../analytics/format-listening-stats.js');
        const listening = await computeListeningStats(ctx.config, ctx.log, {
          tz: timeZone,
          account: flags.account,
        });
        report.listening = listening;
        sections.push(formatListeningStats(listening, { color: ctx.color }));
        // Figures that leave out unreadable lake objects are incomplete: say so through the exit code too.
        if (listening.lake_objects_failed.length > 0) exitCode = 1;
      }

      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${sections.join('\n\n')}\n`);
      return exitCode;
    }),
  );
}
