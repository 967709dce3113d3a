import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { action, addAccountOption } from './command-runner.js';

interface StatsFlags {
  json?: boolean;
  account?: string;
  tz?: string;
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
      .description('pipeline statistics (runs, success rate, freshness, lake size) and listening summaries')
      .option('--json', 'print the figures as one JSON object on stdout')
      .option('--tz <zone>', 'time zone for per-day figures (IANA name; default: the system time zone)'),
  ).action(
    action(async (ctx, flags: StatsFlags) => {
      const timeZone = timeZoneOf(flags.tz);
      const { loadPipelineStats } = await import('../stats/load-pipeline-stats.js');
      const { formatPipelineStats } = await import('../stats/format-pipeline-stats.js');
      const pipeline = await loadPipelineStats(ctx.config, ctx.log, { timeZone, account: flags.account });
      const report: Record<string, unknown> = { pipeline };
      const sections: string[] = [formatPipelineStats(pipeline)];

      // ── LISTENING ANALYTICS SECTION (lead: append here) ──
      // const { computeListeningStats, formatListeningStats } = await import('../analytics/listening-stats.js');
      // const listening = await computeListeningStats(ctx.config, ctx.log, { tz: timeZone, account: flags.account });
      // report.listening = listening;
      // sections.push(formatListeningStats(listening));

      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${sections.join('\n\n')}\n`);
      return 0;
    }),
  );
}
