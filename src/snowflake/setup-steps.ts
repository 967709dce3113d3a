import type { Config } from '../config.js';
import { errorMessage, PipelineError } from '../errors.js';
import { snowflakeReadPolicy } from '../aws/iam-policy.js';
import { partitionOf } from '../aws/partition.js';
import { applyBucketNotification, type QueueRule } from '../aws/bucket-notification.js';
import { buildSetupStatements, type SetupSqlOptions, type SetupStatement } from './ddl.js';
import { ASSUME_ROLE_ERROR, SnowflakeError, STAGE_ACCESS_DENIED } from './errors.js';
import type { RunAs } from './roles.js';
import { OBJECT_NAMES, qualified, requireBucket, type SnowflakeObjects } from './settings.js';
import { rowObjects, type SnowflakeSqlClient } from './sql-api.js';

export type Print = (line: string) => void;

/** The role a statement runs under: the admin role for account-level work when one is set, else SNOWFLAKE_ROLE. */
function roleFor(runAs: RunAs, objects: SnowflakeObjects): string | undefined {
  return runAs === 'admin' ? (objects.roles.admin ?? objects.roles.owner) : objects.roles.owner;
}

/**
 * Runs every setup statement in order, each under its role; an error names the statement that failed and,
 * when Snowflake answers "insufficient privileges", the grant it needs.
 */
export async function applySetupSql(
  client: SnowflakeSqlClient,
  objects: SnowflakeObjects,
  options: SetupSqlOptions,
  print: Print,
): Promise<void> {
  const statements = buildSetupStatements(objects, options);
  const run = async (s: SetupStatement, doing: string) => {
    const role = roleFor(s.runAs, objects);
    await client.execute(s.sql, doing, {
      role,
      needs: s.needs,
      ...(s.runAs === 'admin' ? { warehouse: false as const } : {}),
    });
    print(`✓ ${s.title}${role && role !== objects.roles.owner ? ` (as ${role})` : ''}`);
  };
  for (const [i, s] of statements.entries()) {
    const doing = `running setup statement ${i + 1}/${statements.length} (${s.title})`;
    if (s.converge) {
      const diff = await differenceOf(client, s, objects);
      if (diff === 'unknown' && s.setupOnly) {
        print(`? ${s.title}: could not be read (DESC refused), left as it is`);
        continue;
      }
      if (diff === undefined) {
        print(`✓ ${s.title}: as configured, unchanged`);
        continue;
      }
      if (diff !== 'unknown') print(`~ ${s.title}: ${diff}`);
    }
    await run(s, doing);
    for (const t of s.converge?.then ?? []) await run(t, `${doing}, then ${t.title}`);
  }
}

/** What DESC shows differs from the statement's wanted state; 'unknown' when DESC itself was refused. */
async function differenceOf(
  client: SnowflakeSqlClient,
  s: SetupStatement,
  objects: SnowflakeObjects,
): Promise<string | undefined | 'unknown'> {
  try {
    const rows = rowObjects(
      await client.execute(s.converge!.describe, `reading ${s.title}`, {
        role: roleFor(s.runAs, objects),
        ...(s.runAs === 'admin' ? { warehouse: false as const } : {}),
      }),
    );
    return s.converge!.differs(rows);
  } catch (err) {
    // No USAGE to DESC it (or it is gone): let the statement itself run and give its own, precise, error.
    if (err instanceof SnowflakeError) return 'unknown';
    throw err;
  }
}

/**
 * Whether Snowflake can read the bucket through the storage integration yet: `LIST` of a stage folder that never
 * holds files (year 0000) assumes SNOWFLAKE_AWS_ROLE_ARN like any load does, and lists nothing. False when
 * Snowflake answers "Error assuming AWS_ROLE" (the trust policy is not attached yet) or S3 denies the listing
 * (the permissions policy is not).
 */
export async function stageReadable(client: SnowflakeSqlClient, objects: SnowflakeObjects): Promise<boolean> {
  try {
    await client.execute(
      `LIST @${qualified(objects, OBJECT_NAMES.tracksStage)}/0000/`,
      'checking that Snowflake can read the bucket through the storage integration',
      { needs: `USAGE on the stage ${qualified(objects, OBJECT_NAMES.tracksStage)} (the owner role has it)` },
    );
    return true;
  } catch (err) {
    const message = errorMessage(err);
    if (ASSUME_ROLE_ERROR.test(message) || STAGE_ACCESS_DENIED.test(message)) return false;
    throw err;
  }
}

export interface TrustPolicy {
  iamUserArn: string;
  externalId: string;
  trustPolicy: unknown;
  permissionsPolicy: unknown;
}

/** The IAM policies the role SNOWFLAKE_AWS_ROLE_ARN needs, from DESC INTEGRATION. */
export async function describeTrust(
  client: SnowflakeSqlClient,
  objects: SnowflakeObjects,
): Promise<TrustPolicy> {
  const rows = rowObjects(
    await client.execute(
      `DESC STORAGE INTEGRATION ${objects.integration}`,
      `describing the storage integration ${objects.integration}`,
      {
        role: roleFor('admin', objects),
        warehouse: false,
        needs: `USAGE on the integration: GRANT USAGE ON INTEGRATION ${objects.integration} TO ROLE <role>;`,
      },
    ),
  );
  const prop = (name: string) => rows.find((r) => r.property?.toUpperCase() === name)?.property_value ?? '';
  const iamUserArn = prop('STORAGE_AWS_IAM_USER_ARN');
  const externalId = prop('STORAGE_AWS_EXTERNAL_ID');
  const bucket = requireBucket(objects);
  // GovCloud and China have their own ARN partition: a policy naming arn:aws:s3::: there grants nothing.
  const partition = partitionOf(objects.awsRoleArn);
  return {
    iamUserArn,
    externalId,
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: iamUserArn },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': externalId } },
        },
      ],
    },
    permissionsPolicy: snowflakeReadPolicy(partition, bucket, [objects.tracksPrefix, objects.episodesPrefix]),
  };
}

export interface PipeInfo {
  /** The SQS queue of an auto-ingest pipe (notification_channel); null for AUTO_INGEST = FALSE. */
  channel: string | null;
  /** When the pipe was created (ms): its load history starts there. */
  createdOn?: number;
}

/** SQL API timestamps come as epoch seconds ("1700000000.123000000") or as text, depending on the type. */
function parseSnowflakeTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Our pipes, from SHOW PIPES. */
export async function describePipes(
  client: SnowflakeSqlClient,
  objects: SnowflakeObjects,
): Promise<Map<string, PipeInfo>> {
  const rows = rowObjects(
    await client.execute(
      `SHOW PIPES LIKE 'SPOTIFY_%' IN SCHEMA ${objects.database}.${objects.schema}`,
      'listing the pipes',
      {
        needs: `a privilege on the pipes: GRANT MONITOR ON PIPE <pipe> TO ROLE <role>; (the owner role has it)`,
      },
    ),
  );
  return new Map(
    rows.map((r) => [
      String(r.name).toUpperCase(),
      { channel: r.notification_channel || null, createdOn: parseSnowflakeTime(r.created_on) },
    ]),
  );
}

/** The SQS queue of each auto-ingest pipe. */
export async function pipeChannels(
  client: SnowflakeSqlClient,
  objects: SnowflakeObjects,
): Promise<Map<string, string | null>> {
  const pipes = await describePipes(client, objects);
  return new Map([...pipes].map(([name, info]) => [name, info.channel]));
}

/** The notification rules the two pipes need. */
export function notificationRules(
  objects: SnowflakeObjects,
  channels: Map<string, string | null>,
): QueueRule[] {
  const rules: QueueRule[] = [];
  for (const [pipe, prefix, id] of [
    [OBJECT_NAMES.tracksPipe, objects.tracksPrefix, 'snowpipe-spotify-listening-history'],
    [OBJECT_NAMES.episodesPipe, objects.episodesPrefix, 'snowpipe-spotify-episode-history'],
  ] as const) {
    const arn = channels.get(pipe);
    if (!arn) {
      throw new PipelineError(
        `The pipe ${qualified(objects, pipe)} has no notification channel (it was created with AUTO_INGEST = FALSE, for SNOWPIPE_MODE=rest). Fix: DROP PIPE ${qualified(objects, pipe)} and run \`snowflake setup\` again with SNOWPIPE_MODE=auto, or keep SNOWPIPE_MODE=rest.`,
        1,
      );
    }
    rules.push({ id, queueArn: arn, prefix, suffix: '.json.gz' });
  }
  return rules;
}

export async function setBucketNotification(
  config: Config,
  objects: SnowflakeObjects,
  rules: QueueRule[],
  print: Print,
): Promise<void> {
  const { createS3Client } = await import('../aws/s3-client.js');
  const client = await createS3Client(config.storage);
  const result = await applyBucketNotification(client, requireBucket(objects), rules);
  for (const a of result.actions) print(`✓ bucket notification ${a.id}: ${a.action}`);
}
