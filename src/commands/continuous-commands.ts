import type { Command } from 'commander';
import type { ContinuousFlags } from '../continuous/continuous-settings.js';
import { action, addAccountOption, WRITES_STATE_AND_LAKE } from './command-runner.js';

export function registerContinuousCommands(program: Command): void {
  addAccountOption(
    program
      .command('run-continuous')
      .description(
        'collect at once, then every FETCH_INTERVAL_MINUTES (or --interval / --cron) until SIGINT/SIGTERM; polls sooner when you listen a lot',
      )
      .option('--interval <duration>', 'time between polls: 30s, 10m, 1h (default: FETCH_INTERVAL_MINUTES)')
      .option('--cron <expr>', 'poll on a cron schedule instead, e.g. "*/30 * * * *" (local time)')
      .option(
        '--min-interval <duration>',
        'shortest interval adaptive polling may use (default: MIN_FETCH_INTERVAL or 1m)',
      )
      .option('--no-adaptive', 'always poll at the configured interval')
      .option(
        '--metrics-port <port>',
        'serve /metrics and /healthz on this port (default: METRICS_PORT; 0 = any free port)',
      )
      .option(
        '--metrics-host <host>',
        'address to bind the metrics server (default: METRICS_HOST or 127.0.0.1)',
      )
      .option(
        '--shutdown-timeout <duration>',
        'on SIGINT/SIGTERM, wait this long for the collection in flight',
        '30s',
      ),
  ).action(
    action(async (ctx, flags: ContinuousFlags) => {
      const { continuousOptions } = await import('../continuous/continuous-settings.js');
      const { runContinuous } = await import('../continuous/run-continuous.js');
      const code = await runContinuous(ctx.config, ctx.log, continuousOptions(ctx.config, flags));
      // A collection that outlived --shutdown-timeout (a hung request) must not keep the process alive;
      // unref'd, so a clean stop still exits as soon as nothing else is pending.
      setTimeout(() => process.exit(code), 1000).unref();
      return code;
    }, WRITES_STATE_AND_LAKE),
  );
}
