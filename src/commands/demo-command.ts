import { InvalidArgumentError, type Command } from 'commander';
import { action } from './command-runner.js';

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a whole number, 1 or more');
  return Number(value);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole pipeline offline on a generated sample export: import into ./demo-data, warehouse, stats, demo-report.html',
    )
    .option('--dir <dir>', 'folder of the demo lake (never your configured lake)', 'demo-data')
    .option('--out <file>', 'where to write the HTML report', 'demo-report.html')
    .option(
      '--plays <n>',
      'rows in the generated export (about 17 minutes of history each)',
      positiveInt,
      60_000,
    )
    .option('--seed <n>', 'seed of the generator: the same seed gives the same export', positiveInt, 2024)
    .option('--tz <zone>', 'time zone for the listening figures (default: the system time zone)')
    .option('--json', 'print the result as one JSON object on stdout (the walk-through goes to stderr)')
    .action(
      action(
        async (
          ctx,
          flags: { dir: string; out: string; plays: number; seed: number; tz?: string; json?: boolean },
          command: Command,
        ) => {
          const { runDemo } = await import('../demo/run-demo.js');
          // The demo tells its own story on stdout; routine log lines would only bury it. An explicit
          // LOG_LEVEL or --log-level still wins.
          const { createLogger } = await import('../log.js');
          const explicit =
            ctx.config.raw.LOG_LEVEL !== undefined || command.optsWithGlobals().logLevel !== undefined;
          const log = explicit ? ctx.log : createLogger('warn');
          const story = flags.json ? process.stderr : process.stdout;
          const result = await runDemo(ctx.config, log, {
            ...flags,
            print: (line) => story.write(`${line}\n`),
            color: flags.json ? false : ctx.color,
          });
          if (flags.json) {
            const summary = {
              ok: result.exitCode === 0,
              command: 'demo',
              outcome: result.exitCode === 0 ? 'ok' : 'failed',
              exit_code: result.exitCode,
              lake: result.lake,
              report: result.report,
            };
            process.stdout.write(`${JSON.stringify(summary)}\n`);
          }
          return result.exitCode;
        },
      ),
    );
}
