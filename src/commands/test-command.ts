import type { Command } from 'commander';
import { action } from './command-runner.js';

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('check every configured connection (Spotify, storage, Snowflake); exit 0 only if all pass')
    .option('--json', 'print the results as JSON')
    .action(
      action(async (ctx, flags: { json?: boolean }) => {
        const { runChecks } = await import('../checks/run-checks.js');
        const results = await runChecks(ctx.config, ctx.log);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ok: results.every((r) => r.ok), checks: results })}\n`);
        } else {
          for (const r of results) process.stdout.write(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}\n`);
        }
        return results.every((r) => r.ok) ? 0 : 1;
      }),
    );
}
