import type { Config } from '../config.js';
import { errorMessage, PipelineError } from '../errors.js';
import { parseObjectKey } from '../lake/layout.js';
import { DATASETS } from '../record/datasets.js';
import type { ObjectStore, StoredObject } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { partitionOf, s3Arn } from './aws-partition.js';
import { applyBucketNotification, type QueueRule } from './bucket-notification.js';
import { buildSetupStatements, type SetupSqlOptions, type SetupStatement } from './ddl.js';
import { ASSUME_ROLE_ERROR, SnowflakeError, STAGE_ACCESS_DENIED } from './errors.js';
import type { RunAs } from './roles.js';
import { OBJECT_NAMES, qualified, requireBucket, type SnowflakeObjects } from './settings.js';
import { rowObjects, type SnowflakeSqlClient } from './sql-api.js';
import { SnowpipeRestClient } from './snowpipe-rest.js';
import { lakeKeyOf, stageTarget } from './stage-paths.js';
import { copyIntoSql, SOURCE_FILE_COLUMN } from './table-sql.js';

export type Print = (line: string) => void;

/** The role a statement runs under: the admin role for account-level work when one is set, else SNOWFLAKE_ROLE. */
export function roleFor(runAs: RunAs, objects: SnowflakeObjects): string | undefined {
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
  const s3 = (resource: string) => s3Arn(partition, resource);
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
    permissionsPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: [s3(`${bucket}/${objects.tracksPrefix}*`), s3(`${bucket}/${objects.episodesPrefix}*`)],
        },
        {
          Effect: 'Allow',
          Action: ['s3:ListBucket', 's3:GetBucketLocation'],
          Resource: s3(bucket),
          Condition: {
            StringLike: { 's3:prefix': [`${objects.tracksPrefix}*`, `${objects.episodesPrefix}*`] },
          },
        },
      ],
    },
  };
}

export interface PipeInfo {
  /** The SQS queue of an auto-ingest pipe (notification_channel); null for AUTO_INGEST = FALSE. */
  channel: string | null;
  /** When the pipe was created (ms): its load history starts there. */
  createdOn?: number;
}

/** SQL API timestamps come as epoch seconds ("1700000000.123000000") or as text, depending on the type. */
export function parseSnowflakeTime(value: string | null | undefined): number | undefined {
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
  const { createS3Client } = await import('../lake/s3-store.js');
  const client = await createS3Client(config.storage);
  const result = await applyBucketNotification(client, requireBucket(objects), rules);
  for (const a of result.actions) print(`✓ bucket notification ${a.id}: ${a.action}`);
}

export interface LoadExistingSummary {
  files_in_lake: number;
  already_loaded: number;
  refreshed: number;
  copied: number;
  rows_copied: number;
  /** Files COPY skipped (ON_ERROR = SKIP_FILE): a bad row somewhere in them, nothing of them loaded. */
  copy_errors: { file: string; error: string }[];
}

/** Files older than this go through COPY; newer ones through the pipe (REFRESH sees only 7 days). */
const REFRESH_WINDOW_MS = 7 * 86_400_000 - 3_600_000;
const COPY_BATCH = 1000;

/**
 * Loads what the lake already holds, never a file twice: files whose rows are in the table (source_file)
 * are skipped; recent files go to the pipe (ALTER PIPE REFRESH, or insertFiles in REST mode), which skips
 * what it loaded itself; older ones are copied by name with COPY INTO ... FILES.
 * "Recent" starts at the later of 7 days ago and the pipe's creation: a re-created pipe has no load
 * history, so files from before it are handled by name (those already in the table are skipped) rather
 * than by a REFRESH that could load them a second time.
 */
export async function loadExisting(
  client: SnowflakeSqlClient,
  store: ObjectStore,
  objects: SnowflakeObjects,
  print: Print,
  log: Logger,
  now = Date.now(),
): Promise<LoadExistingSummary> {
  const summary: LoadExistingSummary = {
    files_in_lake: 0,
    already_loaded: 0,
    refreshed: 0,
    copied: 0,
    rows_copied: 0,
    copy_errors: [],
  };
  const windowStart = now - REFRESH_WINDOW_MS;
  const pipes = await describePipes(client, objects);
  const format = qualified(objects, OBJECT_NAMES.fileFormat);
  for (const d of [
    {
      prefix: objects.tracksPrefix,
      table: OBJECT_NAMES.tracksTable,
      stage: OBJECT_NAMES.tracksStage,
      pipe: OBJECT_NAMES.tracksPipe,
      file: DATASETS.tracks.filePrefix,
    },
    {
      prefix: objects.episodesPrefix,
      table: OBJECT_NAMES.episodesTable,
      stage: OBJECT_NAMES.episodesStage,
      pipe: OBJECT_NAMES.episodesPipe,
      file: DATASETS.episodes.filePrefix,
    },
  ]) {
    const files: StoredObject[] = [];
    for await (const obj of store.list(d.prefix))
      if (parseObjectKey(obj.key) && stageTarget(objects, obj.key)) files.push(obj);
    summary.files_in_lake += files.length;
    if (!files.length) continue;
    const loadedRows = rowObjects(
      await client.execute(
        `SELECT DISTINCT ${SOURCE_FILE_COLUMN} FROM ${qualified(objects, d.table)} WHERE ${SOURCE_FILE_COLUMN} IS NOT NULL`,
        `listing the files already in ${d.table}`,
      ),
    );
    const loaded = new Set(
      loadedRows.map((r) => lakeKeyOf(String(r[SOURCE_FILE_COLUMN]), objects.bucket, d.prefix)),
    );
    const todo = files.filter((f) => !loaded.has(f.key));
    summary.already_loaded += files.length - todo.length;
    const cutoff = Math.max(windowStart, pipes.get(d.pipe)?.createdOn ?? 0);
    const recent = todo.filter((f) => (f.lastModified?.getTime() ?? 0) >= cutoff);
    const old = todo.filter((f) => (f.lastModified?.getTime() ?? 0) < cutoff);
    const rel = (f: StoredObject) => f.key.slice(d.prefix.length);
    if (recent.length) {
      if (objects.mode === 'rest') {
        const { unmatched } = await new SnowpipeRestClient(client.connection, () =>
          client.token(),
        ).insertFiles(qualified(objects, d.pipe), recent.map(rel));
        for (const u of unmatched) print(`✗ skipped by ${d.pipe} (does not match its PATTERN): ${u}`);
      } else {
        // ISO 8601 with a numeric offset, as ALTER PIPE's own example (`'2018-07-30T13:56:46-07:00'`): a `Z` is
        // not among Snowflake's AUTO timestamp formats.
        const after = new Date(cutoff).toISOString().replace(/Z$/, '+00:00');
        await client.execute(
          `ALTER PIPE ${qualified(objects, d.pipe)} REFRESH MODIFIED_AFTER = '${after}'`,
          `refreshing ${d.pipe}`,
          {
            needs: `OPERATE on the pipe, USAGE on its stage and file format, SELECT and INSERT on ${qualified(objects, d.table)} (ALTER PIPE, "Access control requirements"; the owner role has them all): GRANT OPERATE ON PIPE ${qualified(objects, d.pipe)} TO ROLE <role>;`,
          },
        );
      }
      summary.refreshed += recent.length;
      print(`✓ ${recent.length} recent file(s) handed to ${d.pipe}`);
    }
    let skipped = 0;
    for (let i = 0; i < old.length; i += COPY_BATCH) {
      const batch = old.slice(i, i + COPY_BATCH).map(rel);
      const result = rowObjects(
        await client.execute(
          copyIntoSql(qualified(objects, d.table), qualified(objects, d.stage), format, d.file, batch),
          `copying ${batch.length} older file(s) into ${d.table}`,
          {
            needs: `INSERT and SELECT on ${qualified(objects, d.table)} and USAGE on ${qualified(objects, d.stage)} and the file format (the owner role has them).`,
          },
        ),
      );
      for (const r of result) {
        const status = String(r.status ?? '').toUpperCase();
        if (status === 'LOADED') {
          summary.copied++;
          summary.rows_copied += Number(r.rows_loaded ?? 0);
        } else if (status && status !== 'LOAD_SKIPPED' && r.file) {
          // LOAD_FAILED under SKIP_FILE: this file was skipped whole, the others of the batch loaded.
          const file = lakeKeyOf(String(r.file), objects.bucket, d.prefix);
          const where = r.first_error_line ? ` (line ${r.first_error_line})` : '';
          summary.copy_errors.push({ file, error: `${String(r.first_error ?? status)}${where}` });
          skipped++;
        }
      }
      log.info({ table: d.table, files: batch.length }, 'copied older lake files');
    }
    if (old.length)
      print(
        `${skipped ? '✗' : '✓'} ${old.length - skipped} older file(s) copied into ${d.table}${skipped ? `, ${skipped} skipped` : ''}`,
      );
  }
  return summary;
}
