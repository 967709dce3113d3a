import { lakeCustomFields } from '../custom-fields/lake-custom-fields.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SetupSqlOptions } from './ddl.js';
import { loadSnowflakeSettings, requireBucket, requireConnection } from './settings.js';
import {
  applySetupSql,
  describeTrust,
  stageReadable,
  notificationRules,
  pipeChannels,
  setBucketNotification,
  type Print,
  type TrustPolicy,
} from './setup-steps.js';
import { loadExisting, type LoadExistingSummary } from './load-existing.js';
import type { QueueRule } from '../aws/bucket-notification.js';
import { SnowflakeSqlClient } from './sql-api.js';

export interface SetupOptions {
  loadExisting: boolean;
  /** False: print the notification rules instead of writing them. */
  notification: boolean;
  stageCredentials?: SetupSqlOptions['stageCredentials'];
}

export interface SetupSummary {
  ok: boolean;
  mode: 'auto' | 'rest';
  trust?: TrustPolicy;
  /** False when Snowflake could not assume SNOWFLAKE_AWS_ROLE_ARN yet (the trust policy is not attached). */
  bucket_readable?: boolean;
  notification?: QueueRule[];
  rest_queue?: number;
  load_existing?: LoadExistingSummary;
}

/** `snowflake setup`: SQL, trust policy, bucket notification (or REST queue), optionally the existing files. */
export async function runSnowflakeSetup(
  config: Config,
  log: Logger,
  options: SetupOptions,
  print: Print,
): Promise<SetupSummary> {
  const settings = loadSnowflakeSettings(config);
  const o = settings.objects;
  const conn = requireConnection(settings);
  requireBucket(o);
  if (!options.stageCredentials && !o.awsRoleArn) {
    throw new ConfigError(
      'SNOWFLAKE_AWS_ROLE_ARN is not set: create an IAM role Snowflake may assume to read the bucket and set its ARN (see docs/snowflake.md), or use --stage-credentials.',
    );
  }
  if (options.stageCredentials?.sessionToken) {
    throw new ConfigError(
      '--stage-credentials with AWS_SESSION_TOKEN set: these are temporary credentials, and the stages would stop loading when they expire (a rerun would have to replace them in time). Use the static keys of an IAM user (unset AWS_SESSION_TOKEN), or better a storage integration (SNOWFLAKE_AWS_ROLE_ARN, without --stage-credentials).',
    );
  }
  if (o.roles.admin && !o.roles.owner) {
    throw new ConfigError(
      `SNOWFLAKE_ADMIN_ROLE (${o.roles.admin}) is set but SNOWFLAKE_ROLE is not: set SNOWFLAKE_ROLE to the role that will own and load the tables, stages and pipes (see \`snowflake sql\`, "Roles").`,
    );
  }
  const client = new SnowflakeSqlClient(conn, log);
  // Custom fields are recorded in the lake (from TRANSFORM_MODULE) before their columns are made, so the
  // columns exist before Snowpipe loads a file that carries them.
  const customFields = await lakeCustomFields(config, log, { declare: true });
  await applySetupSql(client, o, { stageCredentials: options.stageCredentials, customFields }, print);
  const summary: SetupSummary = { ok: true, mode: o.mode };
  if (!options.stageCredentials) {
    const trust = await describeTrust(client, o);
    summary.trust = trust;
    print('');
    print(
      `Attach this trust policy to ${o.awsRoleArn} (IAM user ${trust.iamUserArn}, external id ${trust.externalId}):`,
    );
    print(JSON.stringify(trust.trustPolicy, null, 2));
    print('and this permissions policy:');
    print(JSON.stringify(trust.permissionsPolicy, null, 2));
    // The trust policy names an external id that exists only now (DESC INTEGRATION): on a first run it cannot
    // be attached yet, so nothing that reads the bucket is tried before it is.
    summary.bucket_readable = await stageReadable(client, o);
    if (summary.bucket_readable) print('✓ Snowflake reads the bucket through the storage integration');
    else {
      print('');
      print(
        `Next: Snowflake cannot read the bucket through ${o.awsRoleArn} yet. Attach the trust policy and the permissions policy above to that role, wait a minute for IAM, then run:\n  spotify-pipeline snowflake setup${options.loadExisting ? ' --load-existing' : ''}\nUntil then the pipes cannot read the bucket${options.loadExisting ? ', and the files already in the lake are not loaded' : ''}.`,
      );
    }
  }
  if (o.mode === 'auto') {
    const rules = notificationRules(o, await pipeChannels(client, o));
    summary.notification = rules;
    if (options.notification) {
      await setBucketNotification(config, o, rules, print);
    } else {
      print('Add these event notifications to the bucket (s3:ObjectCreated:*):');
      for (const r of rules) print(`  ${r.id}: prefix "${r.prefix}", suffix "${r.suffix}" → ${r.queueArn}`);
    }
  } else {
    print(
      'SNOWPIPE_MODE=rest: no bucket notification; the collector and the import call insertFiles for each new object.',
    );
    // Paths an earlier insertFiles call could not deliver are sent now.
    const { createSnowpipeNotifier } = await import('./snowpipe-notifier.js');
    const left = await (await createSnowpipeNotifier(config, log))!.notify([]);
    summary.rest_queue = left;
    if (left) print(`warning: ${left} file(s) still wait for insertFiles (see the log above).`);
  }
  if (options.loadExisting && summary.bucket_readable === false) {
    print(
      'load-existing: not started (the bucket is not readable yet, see "Next" above); nothing was loaded.',
    );
    summary.ok = false;
  } else if (options.loadExisting) {
    const { openObjectStore } = await import('../lake/open-store.js');
    const l = await loadExisting(client, await openObjectStore(config.storage), o, print, log);
    summary.load_existing = l;
    print(
      `load-existing: ${l.files_in_lake} file(s) in the lake, ${l.already_loaded} already loaded, ${l.refreshed} handed to the pipe, ${l.copied} copied (${l.rows_copied} rows), ${l.copy_errors.length} skipped`,
    );
    for (const e of l.copy_errors) print(`  skipped: ${e.file}: ${e.error}`);
    if (l.copy_errors.length) {
      print(
        '  A skipped file has a row Snowflake cannot load: nothing of it was loaded, every other file was. Fix the cause (the error above), then run `snowflake setup --load-existing` again: it copies only files not yet in the table.',
      );
      summary.ok = false;
    }
  }
  return summary;
}
