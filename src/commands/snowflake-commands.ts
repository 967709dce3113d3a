import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.js';
import { action } from './command-runner.js';

function positiveDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 365)
    throw new InvalidArgumentError('must be a whole number of days from 1 to 365');
  return n;
}

const CREDENTIALS_WARNING =
  'warning: --stage-credentials puts static AWS keys into the stage definition, where anyone who may DESCRIBE it or read the SQL can use them. Prefer a storage integration (SNOWFLAKE_AWS_ROLE_ARN).\n';

/** Static keys for the stage, only behind --stage-credentials. */
async function stageCredentials(config: Config) {
  const { ConfigError } = await import('../errors.js');
  const accessKeyId = config.raw.AWS_ACCESS_KEY_ID;
  const secretAccessKey = config.raw.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new ConfigError(
      '--stage-credentials needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set them, or drop the flag and use a storage integration (SNOWFLAKE_AWS_ROLE_ARN).',
    );
  return { accessKeyId, secretAccessKey, sessionToken: config.raw.AWS_SESSION_TOKEN };
}

export function registerSnowflakeCommands(program: Command): void {
  const snowflake = program
    .command('snowflake')
    .description(
      'Snowflake: the setup as SQL, applied over the SQL API, and load status with reconciliation',
    );

  snowflake
    .command('sql')
    .description(
      'print the SQL of the whole Snowflake setup (roles and grants, database, tables, file format, integration, stages, pipes, views)',
    )
    .option('--out <dir>', 'write it to DIR/snowflake-setup.sql instead of printing it')
    .option(
      '--stage-credentials',
      'stages with static AWS keys (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) instead of a storage integration: discouraged',
    )
    .action(
      action(async (ctx, flags: { out?: string; stageCredentials?: boolean }) => {
        const { loadSnowflakeSettings } = await import('../snowflake/settings.js');
        const { setupScript } = await import('../snowflake/script.js');
        const settings = loadSnowflakeSettings(ctx.config);
        const o = settings.objects;
        const creds = flags.stageCredentials ? await stageCredentials(ctx.config) : undefined;
        if (creds) process.stderr.write(CREDENTIALS_WARNING);
        const missing = [
          !o.bucket && 'S3_BUCKET_NAME',
          !creds && !o.awsRoleArn && 'SNOWFLAKE_AWS_ROLE_ARN',
        ].filter(Boolean);
        if (missing.length)
          process.stderr.write(
            `warning: ${missing.join(' and ')} not set: the SQL holds <placeholders> for them.\n`,
          );
        const { lakeCustomFields } = await import('../custom-fields/lake-custom-fields.js');
        const customFields = await lakeCustomFields(ctx.config, ctx.log, { declare: false });
        const script = setupScript(o, { stageCredentials: creds, customFields });
        if (flags.out) {
          const path = await import('node:path');
          const { promises: fs } = await import('node:fs');
          const { writeFileAtomic } = await import('../fs/fs-atomic.js');
          const dir = path.resolve(ctx.config.cwd, flags.out);
          await fs.mkdir(dir, { recursive: true });
          const file = path.join(dir, 'snowflake-setup.sql');
          await writeFileAtomic(file, script, creds ? 0o600 : 0o644);
          process.stdout.write(`${file}\n`);
        } else {
          process.stdout.write(script);
        }
        return 0;
      }),
    );

  snowflake
    .command('setup')
    .description(
      'apply the setup SQL over the SQL API, print the IAM trust policy, set the bucket notification to the pipe',
    )
    .option(
      '--load-existing',
      'also load the files already in the lake (REFRESH for the last 7 days, COPY for older ones), never a file twice',
    )
    .option(
      '--no-notification',
      'do not change the bucket notification configuration (print the rule to add instead)',
    )
    .option(
      '--stage-credentials',
      'stages with static AWS keys instead of a storage integration: discouraged',
    )
    .option('--json', 'print a JSON summary on stdout (progress goes to stderr)')
    .action(
      action(
        async (
          ctx,
          flags: {
            loadExisting?: boolean;
            notification: boolean;
            stageCredentials?: boolean;
            json?: boolean;
          },
        ) => {
          const { runSnowflakeSetup } = await import('../snowflake/run-setup.js');
          const creds = flags.stageCredentials ? await stageCredentials(ctx.config) : undefined;
          if (creds) process.stderr.write(CREDENTIALS_WARNING);
          // With --json, stdout holds only the summary; progress goes to stderr.
          const print = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
          const summary = await runSnowflakeSetup(
            ctx.config,
            ctx.log,
            {
              loadExisting: Boolean(flags.loadExisting),
              notification: flags.notification,
              stageCredentials: creds,
            },
            print,
          );
          if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          return summary.ok ? 0 : 1;
        },
      ),
    );

  snowflake
    .command('status')
    .description(
      'pipe status, recent loads and errors, and plays in the lake versus rows in the table per day',
    )
    .option('--days <n>', 'how many UTC days to reconcile', positiveDays, 7)
    .option('--json', 'print the report as JSON')
    .action(
      action(async (ctx, flags: { days: number; json?: boolean }) => {
        const { loadSnowflakeSettings, requireConnection, requireBucket } =
          await import('../snowflake/settings.js');
        const { SnowflakeSqlClient } = await import('../snowflake/sql-api.js');
        const { gatherStatus, formatStatus } = await import('../snowflake/status.js');
        const { openObjectStore } = await import('../lake/open-store.js');
        const settings = loadSnowflakeSettings(ctx.config);
        const conn = requireConnection(settings);
        requireBucket(settings.objects);
        // Read-only work: the monitor role when one is set (SNOWFLAKE_MONITOR_ROLE).
        const client = new SnowflakeSqlClient({ ...conn, role: conn.monitorRole ?? conn.role }, ctx.log);
        const report = await gatherStatus(
          ctx.config,
          client,
          await openObjectStore(ctx.config.storage),
          settings.objects,
          flags.days,
        );
        process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${formatStatus(report)}\n`);
        return report.ok ? 0 : 1;
      }),
    );
}
