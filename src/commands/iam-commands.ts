import { InvalidArgumentError, type Command } from 'commander';
import { action } from './command-runner.js';

interface IamFlags {
  json?: boolean;
  lifecycle?: boolean;
  snowflakeSetup?: boolean;
  partition?: string;
  accountId?: string;
}

function accountId(value: string): string {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError('must be a 12-digit AWS account id');
  return value;
}

export function registerIamCommands(program: Command): void {
  const iam = program.command('iam').description('AWS IAM: the permissions the pipeline needs');

  iam
    .command('policy')
    .description(
      'print the least-privilege IAM policy of the pipeline’s role for the current settings (lake bucket and prefixes, STATE_URL, SPOTIFY_TOKEN_SECRET_ID)',
    )
    .option('--lifecycle', 'the role also runs `lake lifecycle --apply` (bucket lifecycle configuration)')
    .option('--snowflake-setup', 'the role also runs `snowflake setup` (bucket notification configuration)')
    .option(
      '--partition <name>',
      'the ARN partition: aws, aws-cn, aws-us-gov, aws-eusc, aws-iso… (default: from AWS_REGION, else aws)',
    )
    .option('--account-id <id>', 'AWS account id that owns the secret (fills in the secret ARN)', accountId)
    .option('--json', 'one JSON object: {policy, placeholders, notes}')
    .addHelpText(
      'after',
      '\nThe policy goes to stdout, ready for `aws iam put-role-policy --policy-document file://policy.json`;\nnotes and placeholders to fill in go to stderr.',
    )
    .action(
      action(async (ctx, flags: IamFlags) => {
        const { buildIamPolicy } = await import('../aws/iam-policy.js');
        const { lakeDatasetPrefixes } = await import('../lake/layout.js');
        const { partitionOfRegion, PARTITIONS } = await import('../aws/partition.js');
        const { ConfigError } = await import('../errors.js');
        const { storage, state } = ctx.config;
        const partition = flags.partition ?? partitionOfRegion(storage.region);
        if (!(PARTITIONS as readonly string[]).includes(partition))
          throw new ConfigError(`--partition must be one of ${PARTITIONS.join(', ')} (got "${partition}").`);
        const secretId = ctx.config.tokenSecret?.secretId;
        if (!storage.bucket && state.kind !== 's3' && !secretId)
          throw new ConfigError(
            'Nothing in these settings uses AWS: the lake is a local folder (no S3_BUCKET_NAME), the state is local (no STATE_URL=s3://…) and there is no SPOTIFY_TOKEN_SECRET_ID. Set them as the deployment will, then run `iam policy` again.',
          );
        const result = buildIamPolicy({
          bucket: storage.bucket,
          datasetPrefixes: lakeDatasetPrefixes(storage.prefix),
          state,
          secretId,
          region: storage.region,
          accountId: flags.accountId,
          partition: partition as (typeof PARTITIONS)[number],
          lifecycle: flags.lifecycle,
          snowflakeSetup: flags.snowflakeSetup,
        });
        if (storage.endpointUrl)
          result.notes.push(
            `S3_ENDPOINT_URL is set (${storage.endpointUrl}): IAM policies are AWS's; an S3-compatible store has its own access rules.`,
          );
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return 0;
        }
        process.stdout.write(`${JSON.stringify(result.policy, null, 2)}\n`);
        for (const p of result.placeholders) process.stderr.write(`replace ${p.name}: ${p.meaning}\n`);
        for (const n of result.notes)
          process.stderr.write(`${n.startsWith('warning:') ? '' : 'note: '}${n}\n`);
        return 0;
      }),
    );
}
