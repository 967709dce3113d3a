import type { CustomField } from '../custom-fields/field-rules.js';
import { DATASETS } from '../record/datasets.js';
import { columnSql } from '../record/identifiers.js';
import { partitionOf, stageUrl, storageProvider } from '../aws/partition.js';
import { adminGrants, GRANT_NEEDS, ownerGrants, type RunAs } from './roles.js';
import { OBJECT_NAMES, qualified, type RoleNames, type SnowflakeObjects } from './settings.js';
import {
  copyIntoSql,
  createTableSql,
  LAKE_TIMESTAMP_FORMAT,
  listeningViews,
  literal,
  tableColumns,
  type ColumnDef,
} from './table-sql.js';

export interface SetupStatement {
  /** What the statement does, for progress lines and errors. */
  title: string;
  sql: string;
  /** Which role runs it (roles.ts): the admin role for account-level objects, else the owner. */
  runAs: RunAs;
  /** The grant it needs, named when Snowflake answers "insufficient privileges" (`<role>`: the role that ran it). */
  needs: string;
  /**
   * `setup` reads the object first (`describe`) and runs the statement only when `differs` names a difference,
   * so a rerun that changes nothing needs no more privilege than DESC (USAGE) where the statement needs ownership.
   */
  converge?: Convergence;
  /** Only `setup` runs it, after its DESC check: never written into the `snowflake sql` script. */
  setupOnly?: boolean;
}

export interface Convergence {
  describe: string;
  /** What differs between the DESC rows (lower-cased column names) and what is wanted; undefined: nothing. */
  differs(rows: Record<string, string | null>[]): string | undefined;
  /** What else to run when the statement runs (a pipe re-created after its stage was). */
  then?: SetupStatement[];
}

/** A DESC row's value by property name. */
function described(rows: Record<string, string | null>[], property: string): string | undefined {
  return rows.find((r) => r.property?.toUpperCase() === property)?.property_value ?? undefined;
}

/** URLs in a DESC value, whatever its list spelling (`["s3://a/","s3://b/"]` or `s3://a/,s3://b/`). */
function urlsIn(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/[a-z0-9]+:\/\/[^"',\]\s]+/g)].map((m) => m[0]).sort();
}

export interface SetupSqlOptions {
  /** Static AWS keys for the stages instead of a storage integration (discouraged: keys end up in Snowflake). */
  stageCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The roles the grants are for (default: objects.roles, as configured). */
  roles?: RoleNames;
  /** The lake's custom fields: columns of both tables, added to existing tables. */
  customFields?: readonly CustomField[];
}

/**
 * What brings a table made earlier forward: each custom field (and a core key a later record schema adds),
 * as ADD COLUMN IF NOT EXISTS (a no-op where the column exists; never drops or changes one). Explicit
 * columns with declared types, not ENABLE_SCHEMA_EVOLUTION: see docs/snowflake.md, "Custom fields".
 */
function addColumnStatements(
  table: string,
  columns: readonly ColumnDef[],
  added: readonly string[],
  needs: string,
): SetupStatement[] {
  return columns
    .filter((c) => added.includes(c.name))
    .map((c) => ({
      title: `column ${c.name} of ${table}`,
      sql: `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${columnSql(c.name, 'snowflake')} ${c.type}`,
      runAs: 'owner' as const,
      needs,
    }));
}

/** The whole setup, in order; every statement is safe to run again. */
export function buildSetupStatements(
  objects: SnowflakeObjects,
  options: SetupSqlOptions = {},
): SetupStatement[] {
  const q = (name: string) => qualified(objects, name);
  const roles = options.roles ?? objects.roles;
  const inSchema = (privilege: string, more = '') => `${GRANT_NEEDS.inSchema(objects, privilege)}${more}`;
  const bucket = objects.bucket ?? '<S3_BUCKET_NAME>';
  const partition = partitionOf(objects.awsRoleArn);
  const tracksUrl = stageUrl(partition, bucket, objects.tracksPrefix);
  const episodesUrl = stageUrl(partition, bucket, objects.episodesPrefix);
  const tracks = q(OBJECT_NAMES.tracksTable);
  const episodes = q(OBJECT_NAMES.episodesTable);
  const format = q(OBJECT_NAMES.fileFormat);
  const formatOptions = [
    'TYPE = JSON',
    'COMPRESSION = GZIP',
    'STRIP_OUTER_ARRAY = FALSE',
    `TIMESTAMP_FORMAT = ${literal(LAKE_TIMESTAMP_FORMAT)}`,
    "DATE_FORMAT = 'YYYY-MM-DD'",
    // A record carries `null` for every field it has no value for. Loaded into a VARIANT (a `json` custom field)
    // that null would stay a JSON null, which `IS NULL` does not match, while DuckDB holds SQL NULL. Stripped,
    // the key is absent and MATCH_BY_COLUMN_NAME loads SQL NULL, in every column alike (docs/snowflake.md, F7).
    'STRIP_NULL_VALUES = TRUE',
  ];
  const statements: SetupStatement[] = [
    {
      title: `database ${objects.database}`,
      sql: `CREATE DATABASE IF NOT EXISTS ${objects.database}`,
      runAs: 'admin',
      needs: GRANT_NEEDS.onAccount('CREATE DATABASE'),
    },
    {
      title: `schema ${objects.database}.${objects.schema}`,
      sql: `CREATE SCHEMA IF NOT EXISTS ${objects.database}.${objects.schema}`,
      runAs: 'admin',
      needs: `GRANT USAGE, CREATE SCHEMA ON DATABASE ${objects.database} TO ROLE <role>;`,
    },
  ];
  let stageAuth: string;
  const integrations: string[] = [];
  if (options.stageCredentials) {
    const c = options.stageCredentials;
    const token = c.sessionToken ? ` AWS_TOKEN = ${literal(c.sessionToken)}` : '';
    stageAuth = `CREDENTIALS = (AWS_KEY_ID = ${literal(c.accessKeyId)} AWS_SECRET_KEY = ${literal(c.secretAccessKey)}${token})`;
  } else {
    const role = objects.awsRoleArn ?? '<SNOWFLAKE_AWS_ROLE_ARN>';
    const allowed = `(${literal(tracksUrl)}, ${literal(episodesUrl)})`;
    statements.push(
      {
        title: `storage integration ${objects.integration}`,
        sql: [
          `CREATE STORAGE INTEGRATION IF NOT EXISTS ${objects.integration}`,
          '  TYPE = EXTERNAL_STAGE',
          `  STORAGE_PROVIDER = ${literal(storageProvider(partition))}`,
          '  ENABLED = TRUE',
          `  STORAGE_AWS_ROLE_ARN = ${literal(role)}`,
          `  STORAGE_ALLOWED_LOCATIONS = ${allowed}`,
        ].join('\n'),
        runAs: 'admin',
        needs: `${GRANT_NEEDS.onAccount('CREATE INTEGRATION')} Or set SNOWFLAKE_ADMIN_ROLE to a role that has it: only this statement and the database, schema and grants run as that role.`,
      },
      {
        // ALTER (unlike CREATE OR REPLACE) keeps the external id, so an attached trust policy stays valid.
        // It needs OWNERSHIP; DESC first, so a role with USAGE only can rerun setup when nothing changed.
        title: `storage integration ${objects.integration} role and locations`,
        sql: `ALTER STORAGE INTEGRATION ${objects.integration} SET\n  STORAGE_AWS_ROLE_ARN = ${literal(role)}\n  STORAGE_ALLOWED_LOCATIONS = ${allowed}`,
        runAs: 'admin',
        needs: GRANT_NEEDS.ownership(`INTEGRATION ${objects.integration}`),
        converge: {
          describe: `DESC STORAGE INTEGRATION ${objects.integration}`,
          differs: (rows) => {
            const out: string[] = [];
            const arn = described(rows, 'STORAGE_AWS_ROLE_ARN');
            if (arn !== role) out.push(`role ${arn ?? '(none)'} → ${role}`);
            const now = urlsIn(described(rows, 'STORAGE_ALLOWED_LOCATIONS'));
            const wanted = [tracksUrl, episodesUrl].sort();
            if (now.join(',') !== wanted.join(','))
              out.push(`allowed locations ${now.join(', ') || '(none)'} → ${wanted.join(', ')}`);
            return out.length ? out.join('; ') : undefined;
          },
        },
      },
    );
    integrations.push(objects.integration);
    stageAuth = `STORAGE_INTEGRATION = ${objects.integration}`;
  }
  if (objects.errorIntegration) integrations.push(objects.errorIntegration);
  statements.push(...adminGrants(objects, roles, integrations));
  const usesIntegration = (i: string) => ` GRANT USAGE ON INTEGRATION ${i} TO ROLE <role>;`;
  const custom = options.customFields ?? [];
  const tracksColumns = tableColumns(DATASETS.tracks.columns, custom);
  const episodesColumns = tableColumns(DATASETS.episodes.columns, custom);
  const added = custom.map((f) => f.name);
  statements.push(
    {
      title: `table ${tracks}`,
      sql: createTableSql(tracks, tracksColumns),
      runAs: 'owner',
      needs: inSchema('CREATE TABLE'),
    },
    ...addColumnStatements(tracks, tracksColumns, added, GRANT_NEEDS.ownership(`TABLE ${tracks}`)),
    {
      title: `table ${episodes}`,
      sql: createTableSql(episodes, episodesColumns),
      runAs: 'owner',
      needs: inSchema('CREATE TABLE'),
    },
    ...addColumnStatements(episodes, episodesColumns, added, GRANT_NEEDS.ownership(`TABLE ${episodes}`)),
    {
      title: `file format ${format}`,
      sql: `CREATE FILE FORMAT IF NOT EXISTS ${format}\n  ${formatOptions.join('\n  ')}`,
      runAs: 'owner',
      needs: inSchema('CREATE FILE FORMAT'),
    },
    // IF NOT EXISTS keeps an older definition: converge its options (ALTER cannot change TYPE, which is JSON anyway).
    {
      title: `file format ${format} options`,
      sql: `ALTER FILE FORMAT ${format} SET\n  ${formatOptions.slice(1).join('\n  ')}`,
      runAs: 'owner',
      needs: GRANT_NEEDS.ownership(`FILE FORMAT ${format}`),
    },
  );
  const autoIngest = objects.mode === 'auto' ? 'TRUE' : 'FALSE';
  /** Opt-in: load errors of the pipes go to this SNS notification integration (needs ON_ERROR = SKIP_FILE). */
  const errors = objects.errorIntegration;
  for (const d of [
    {
      stage: OBJECT_NAMES.tracksStage,
      pipe: OBJECT_NAMES.tracksPipe,
      table: tracks,
      url: tracksUrl,
      file: DATASETS.tracks.filePrefix,
    },
    {
      stage: OBJECT_NAMES.episodesStage,
      pipe: OBJECT_NAMES.episodesPipe,
      table: episodes,
      url: episodesUrl,
      file: DATASETS.episodes.filePrefix,
    },
  ]) {
    const stageSql = (create: string) =>
      `${create} ${q(d.stage)}\n  URL = ${literal(d.url)}\n  ${stageAuth}\n  FILE_FORMAT = (FORMAT_NAME = ${literal(format)})`;
    const stageNeeds = inSchema(
      'CREATE STAGE',
      options.stageCredentials ? '' : usesIntegration(objects.integration),
    );
    const pipeSql = (create: string) =>
      [
        `${create} ${q(d.pipe)}`,
        `  AUTO_INGEST = ${autoIngest}`,
        ...(errors ? [`  ERROR_INTEGRATION = ${errors}`] : []),
        `  AS ${copyIntoSql(d.table, q(d.stage), format, d.file)}`,
      ].join('\n');
    const pipeNeeds = inSchema('CREATE PIPE', errors ? usesIntegration(errors) : '');
    statements.push({
      title: `stage ${q(d.stage)}`,
      sql: stageSql('CREATE STAGE IF NOT EXISTS'),
      runAs: 'owner',
      needs: stageNeeds,
    });
    // IF NOT EXISTS keeps a stage made for another bucket, prefix or integration. A stage's location cannot
    // change under its pipe (the pipe stops, STOPPED_STAGE_ALTERED), so a stage that differs is re-created
    // with its pipe: the new location holds other files, so the old pipe's load history does not matter.
    statements.push({
      title: `stage ${q(d.stage)} location (re-created with its pipe where it differs)`,
      sql: stageSql('CREATE OR REPLACE STAGE'),
      runAs: 'owner',
      needs: stageNeeds,
      setupOnly: true,
      converge: {
        describe: `DESC STAGE ${q(d.stage)}`,
        differs: (rows) => {
          const out: string[] = [];
          const url = urlsIn(described(rows, 'URL'));
          if (url.length && url.join(',') !== d.url) out.push(`URL ${url.join(', ')} → ${d.url}`);
          const integration = described(rows, 'STORAGE_INTEGRATION');
          const wantedIntegration = options.stageCredentials ? undefined : objects.integration;
          if (url.length && (integration || undefined)?.toUpperCase() !== wantedIntegration)
            out.push(
              `access ${integration ? `integration ${integration}` : 'credentials'} → ${wantedIntegration ? `integration ${wantedIntegration}` : 'credentials'}`,
            );
          return out.length ? out.join('; ') : undefined;
        },
        then: [
          {
            title: `pipe ${q(d.pipe)} (re-created on its new stage)`,
            sql: pipeSql('CREATE OR REPLACE PIPE'),
            runAs: 'owner',
            needs: pipeNeeds,
          },
        ],
      },
    });
    if (options.stageCredentials)
      // Keys rotate: set them on every run. Credentials are not the stage's location, so the pipe keeps running.
      statements.push({
        title: `stage ${q(d.stage)} credentials`,
        sql: `ALTER STAGE ${q(d.stage)} SET ${stageAuth}`,
        runAs: 'owner',
        needs: GRANT_NEEDS.ownership(`STAGE ${q(d.stage)}`),
      });
    statements.push({
      title: `pipe ${q(d.pipe)}`,
      sql: pipeSql('CREATE PIPE IF NOT EXISTS'),
      runAs: 'owner',
      needs: pipeNeeds,
    });
    // IF NOT EXISTS keeps a pipe made before SNOWFLAKE_ERROR_INTEGRATION was set: converge it (ALTER PIPE SET
    // supports ERROR_INTEGRATION; unsetting the setting leaves the pipe alone, see docs/snowflake.md).
    if (errors)
      statements.push({
        title: `pipe ${q(d.pipe)} error notifications`,
        sql: `ALTER PIPE ${q(d.pipe)} SET ERROR_INTEGRATION = ${errors}`,
        runAs: 'owner',
        needs: `${GRANT_NEEDS.ownership(`PIPE ${q(d.pipe)}`)}${usesIntegration(errors)}`,
      });
  }
  statements.push(
    ...listeningViews(q, tracks).map((v): SetupStatement => ({
      ...v,
      runAs: 'owner',
      needs: inSchema('CREATE VIEW'),
    })),
    ...ownerGrants(objects, roles),
  );
  return statements;
}
