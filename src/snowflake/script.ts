import { buildSetupStatements, type SetupSqlOptions } from './ddl.js';
import { bootstrapStatements, scriptRoles, type RunAs } from './roles.js';
import type { SnowflakeObjects } from './settings.js';

/**
 * `snowflake sql`: the whole setup for three roles (roles.ts), with the names configured or the defaults:
 * the one-time ACCOUNTADMIN part first, then what the admin role runs, then what the owner role runs, each
 * behind a `USE ROLE`, so the file runs top to bottom in a worksheet.
 */
export function setupScript(
  objects: SnowflakeObjects,
  options: Pick<SetupSqlOptions, 'stageCredentials' | 'customFields'>,
): string {
  const roles = scriptRoles(objects.roles);
  const statements = [
    ...bootstrapStatements(objects, roles),
    // setupOnly statements replace objects after a DESC check only `setup` makes.
    ...buildSetupStatements(objects, { ...options, roles }).filter((s) => !s.setupOnly),
  ];
  return renderScript(
    statements,
    [
      'Snowflake setup for spotify-snowflake-pipeline (generated; safe to run again).',
      `Lake: s3://${objects.bucket ?? '<S3_BUCKET_NAME>'}/${objects.tracksPrefix} and ${objects.episodesPrefix}; Snowpipe mode: ${objects.mode}.`,
      `Roles: ${roles.admin} (SNOWFLAKE_ADMIN_ROLE: integration, database), ${roles.owner} (SNOWFLAKE_ROLE: owns and loads the objects),`,
      `${roles.monitor} (SNOWFLAKE_MONITOR_ROLE: read-only, for \`status\` and \`test\`). See docs/snowflake.md, "Roles".`,
      ...(options.stageCredentials?.sessionToken
        ? [
            'WARNING: the stages hold TEMPORARY credentials (AWS_SESSION_TOKEN): they stop working when the token expires.',
            'Use static keys or, better, a storage integration (SNOWFLAKE_AWS_ROLE_ARN).',
          ]
        : []),
    ],
    { 'account-admin': 'ACCOUNTADMIN', admin: roles.admin, owner: roles.owner },
    {
      'account-admin': 'Once, as ACCOUNTADMIN: the roles, their account privileges, warehouse and user',
      admin: `As ${roles.admin} (SNOWFLAKE_ADMIN_ROLE): database, schema, storage integration, grants to the other roles`,
      owner: `As ${roles.owner} (SNOWFLAKE_ROLE, owner of the objects): tables, file format, stages, pipes, views, grants to ${roles.monitor}`,
    },
  );
}

/** The statements as one script, for `snowflake sql`: a `USE ROLE` before each run of statements of one role. */
function renderScript(
  statements: { title: string; sql: string; runAs: RunAs }[],
  header: string[],
  roleOf: Record<RunAs, string>,
  sectionTitle: Record<RunAs, string>,
): string {
  const head = header.map((l) => `-- ${l}`).join('\n');
  const parts: string[] = [];
  let current: RunAs | undefined;
  for (const s of statements) {
    if (s.runAs !== current) {
      current = s.runAs;
      parts.push(`-- ===== ${sectionTitle[current]} =====\nUSE ROLE ${roleOf[current]};`);
    }
    parts.push(`-- ${s.title}\n${s.sql};`);
  }
  return `${head}\n\n${parts.join('\n\n')}\n`;
}
