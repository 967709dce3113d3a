import type { Command } from 'commander';
import { action } from './command-runner.js';

export function registerStateCommands(program: Command): void {
  const state = program
    .command('state')
    .description('the pipeline state (ledger, outbox, tokens, run history)');
  state
    .command('migrate')
    .description(
      'copy the state to another store (a folder or s3://bucket/prefix/), verify it, and mark the old one as moved',
    )
    .requiredOption('--to <url>', 'where the state goes: s3://bucket/prefix/ or a folder')
    .option('--json', 'print the result as one JSON object on stdout')
    .action(
      action(async (ctx, flags: { to: string; json?: boolean }) => {
        const { parseStateUrl, describeState } = await import('../config.js');
        const { openStateStore } = await import('../state/open-state-store.js');
        const { openWriterSession } = await import('../commit/index.js');
        const { migrateState } = await import('../commit/index.js');
        const { ConfigError } = await import('../errors.js');
        const target = parseStateUrl(flags.to, ctx.config.cwd)!;
        if (describeState(target) === describeState(ctx.config.state)) {
          throw new ConfigError(`--to ${flags.to} is where the state already is.`);
        }
        const { cooperateOnStop } = await import('../util/stop-request.js');
        // A signal lets the copy finish (its only safe point is the end: a half-copied state is not marked as
        // moved, but the copy is quicker to finish than to redo), then the lease is released.
        const endCooperation = cooperateOnStop(
          ctx.log,
          'stop requested: finishing the migration, then releasing the lease',
        );
        // Under the lake's lease: no run writes to the state while it is copied.
        const writer = await openWriterSession(ctx.config, ctx.log, 'state migrate').catch((err: unknown) => {
          endCooperation();
          throw err;
        });
        try {
          const to = await openStateStore({ state: target, storage: ctx.config.storage });
          const report = await migrateState(writer.state, to);
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(report)}\n`);
          } else {
            const lines = [
              `state migrated: ${report.from} -> ${report.to}`,
              `  ${report.objects_copied} objects, ${report.bytes_copied} bytes, verified`,
              ...report.plays.map((p) => `  ${p.user_id} ${p.dataset}: ${p.plays} plays on both sides`),
              `  set STATE_URL=${flags.to} from now on; the old state is marked as moved and refuses to run.`,
            ];
            process.stdout.write(`${lines.join('\n')}\n`);
          }
        } finally {
          await writer.release();
          endCooperation();
        }
      }),
    );
}
