import { OBJECT_NAMES, qualified, type RoleNames, type SnowflakeObjects } from './settings.js';

/**
 * Least privilege: three roles instead of one that can do everything (Snowflake's access control privileges,
 * docs.snowflake.com/en/user-guide/security-access-control-privileges):
 *
 * - admin (SNOWFLAKE_ADMIN_ROLE): account-level work only: CREATE INTEGRATION (the storage integration) and
 *   CREATE DATABASE; it owns the database and schema and grants the owner role what it needs in them.
 * - owner (SNOWFLAKE_ROLE, the loader): owns the tables, file format, stages, pipes and views it creates, runs
 *   `--load-existing` (COPY needs INSERT; ALTER PIPE … REFRESH needs OPERATE or OWNERSHIP) and is the user's
 *   DEFAULT_ROLE, because the Snowpipe REST API (insertFiles) always runs as the default role.
 * - monitor (SNOWFLAKE_MONITOR_ROLE): read-only, for `status` and `test`: MONITOR on the pipes
 *   (SYSTEM$PIPE_STATUS), SELECT on the tables (the reconciliation; also lets COPY_HISTORY show their loads),
 *   USAGE on the database, schema and warehouse.
 *
 * Setup runs each statement under the role it belongs to (the SQL API takes a role per request); with only
 * SNOWFLAKE_ROLE set, every statement runs under it, as before.
 */
export type RunAs = 'account-admin' | 'admin' | 'owner';

/** Names used in the generated script when a role is not configured. */
const DEFAULT_ROLE_NAMES = {
  admin: 'SPOTIFY_ADMIN',
  owner: 'SPOTIFY_LOADER',
  monitor: 'SPOTIFY_MONITOR',
} as const;

/** The role names `snowflake sql` prints: configured ones, else the defaults. */
export function scriptRoles(roles: RoleNames): Required<RoleNames> {
  return {
    admin: roles.admin ?? DEFAULT_ROLE_NAMES.admin,
    owner: roles.owner ?? DEFAULT_ROLE_NAMES.owner,
    monitor: roles.monitor ?? DEFAULT_ROLE_NAMES.monitor,
  };
}

export interface RoleStatement {
  title: string;
  sql: string;
  runAs: RunAs;
  /** The grant that lets a role run this statement (`<role>` stands for it), named when it is missing. */
  needs: string;
}

/** Grant text for the error message: `<role>` is replaced by the role that ran the statement. */
export const GRANT_NEEDS = {
  onAccount: (privilege: string) => `GRANT ${privilege} ON ACCOUNT TO ROLE <role>; (as ACCOUNTADMIN)`,
  inSchema: (o: Pick<SnowflakeObjects, 'database' | 'schema'>, privilege: string) =>
    `GRANT USAGE ON DATABASE ${o.database} TO ROLE <role>; GRANT USAGE ON SCHEMA ${o.database}.${o.schema} TO ROLE <role>; GRANT ${privilege} ON SCHEMA ${o.database}.${o.schema} TO ROLE <role>;`,
  ownership: (what: string) =>
    `OWNERSHIP of ${what} (the role that created it): run \`snowflake setup\` with that role, or GRANT OWNERSHIP ON ${what} TO ROLE <role> COPY CURRENT GRANTS;`,
};

/** Privileges on the schema the owner role creates its objects with. */
const OWNER_SCHEMA_PRIVILEGES = [
  'CREATE TABLE',
  'CREATE FILE FORMAT',
  'CREATE STAGE',
  'CREATE PIPE',
  'CREATE VIEW',
];

/**
 * Run once by ACCOUNTADMIN (only printed by `snowflake sql`, never run by setup): the three roles, their
 * account-level privileges, the warehouse, and the roles granted to the user.
 */
export function bootstrapStatements(objects: SnowflakeObjects, roles: Required<RoleNames>): RoleStatement[] {
  // A user name that is not a plain identifier (an e-mail address, say) must be quoted in SQL.
  const name = objects.user;
  const user = !name
    ? '<SNOWFLAKE_USER>'
    : /^[A-Z_][A-Z0-9_$]*$/.test(name)
      ? name
      : `"${name.replaceAll('"', '""')}"`;
  const warehouse = objects.warehouse ?? '<SNOWFLAKE_WAREHOUSE>';
  const s = (title: string, sql: string): RoleStatement => ({
    title,
    sql,
    runAs: 'account-admin',
    needs: 'ACCOUNTADMIN (or SECURITYADMIN for roles and grants).',
  });
  const distinct = [...new Set([roles.admin, roles.owner, roles.monitor])];
  return [
    ...distinct.map((r) => s(`role ${r}`, `CREATE ROLE IF NOT EXISTS ${r}`)),
    // Custom roles roll up to SYSADMIN, so administrators keep seeing what they own.
    ...distinct.map((r) => s(`role ${r} under SYSADMIN`, `GRANT ROLE ${r} TO ROLE SYSADMIN`)),
    s(
      `${roles.admin} may create the storage integration`,
      `GRANT CREATE INTEGRATION ON ACCOUNT TO ROLE ${roles.admin}`,
    ),
    s(`${roles.admin} may create the database`, `GRANT CREATE DATABASE ON ACCOUNT TO ROLE ${roles.admin}`),
    ...[...new Set([roles.owner, roles.monitor])].map((r) =>
      s(`${r} may use warehouse ${warehouse}`, `GRANT USAGE ON WAREHOUSE ${warehouse} TO ROLE ${r}`),
    ),
    ...distinct.map((r) => s(`${r} for user ${user}`, `GRANT ROLE ${r} TO USER ${user}`)),
    // The Snowpipe REST API (SNOWPIPE_MODE=rest) takes no role: it runs as the user's default role.
    s(
      `${roles.owner} as the default role of ${user}`,
      `ALTER USER ${user} SET DEFAULT_ROLE = ${roles.owner}`,
    ),
  ];
}

/** Run by the admin role after it created the database, schema and integration: what the owner and monitor need. */
export function adminGrants(
  objects: SnowflakeObjects,
  roles: RoleNames,
  integrations: string[],
): RoleStatement[] {
  const db = objects.database;
  const schema = `${db}.${objects.schema}`;
  const out: RoleStatement[] = [];
  const grant = (title: string, sql: string, on: string) =>
    out.push({ title, sql, runAs: 'admin', needs: GRANT_NEEDS.ownership(on) });
  const owner = roles.owner;
  // Only when the owner is another role than the one that created the database (admin, or the owner itself).
  if (owner && roles.admin && roles.admin !== owner) {
    grant(
      `${owner} may use database ${db}`,
      `GRANT USAGE ON DATABASE ${db} TO ROLE ${owner}`,
      `DATABASE ${db}`,
    );
    grant(
      `${owner} may create objects in ${schema}`,
      `GRANT USAGE, ${OWNER_SCHEMA_PRIVILEGES.join(', ')} ON SCHEMA ${schema} TO ROLE ${owner}`,
      `SCHEMA ${schema}`,
    );
    for (const i of integrations)
      grant(
        `${owner} may use integration ${i}`,
        `GRANT USAGE ON INTEGRATION ${i} TO ROLE ${owner}`,
        `INTEGRATION ${i}`,
      );
  }
  const monitor = roles.monitor;
  const dbOwner = roles.admin ?? owner;
  if (monitor && monitor !== dbOwner) {
    grant(
      `${monitor} may use database ${db}`,
      `GRANT USAGE ON DATABASE ${db} TO ROLE ${monitor}`,
      `DATABASE ${db}`,
    );
    grant(
      `${monitor} may use schema ${schema}`,
      `GRANT USAGE ON SCHEMA ${schema} TO ROLE ${monitor}`,
      `SCHEMA ${schema}`,
    );
  }
  return out;
}

/** Run by the owner role after it created its objects: the monitor role's read-only access to them. */
export function ownerGrants(objects: SnowflakeObjects, roles: RoleNames): RoleStatement[] {
  const monitor = roles.monitor;
  if (!monitor || monitor === roles.owner) return [];
  const q = (n: string) => qualified(objects, n);
  const grant = (title: string, sql: string, on: string): RoleStatement => ({
    title,
    sql,
    runAs: 'owner',
    needs: GRANT_NEEDS.ownership(on),
  });
  return [
    ...[OBJECT_NAMES.tracksTable, OBJECT_NAMES.episodesTable].map((t) =>
      grant(
        `${monitor} may read ${q(t)}`,
        `GRANT SELECT ON TABLE ${q(t)} TO ROLE ${monitor}`,
        `TABLE ${q(t)}`,
      ),
    ),
    ...[OBJECT_NAMES.tracksPipe, OBJECT_NAMES.episodesPipe].map((p) =>
      grant(
        `${monitor} may monitor ${q(p)}`,
        `GRANT MONITOR ON PIPE ${q(p)} TO ROLE ${monitor}`,
        `PIPE ${q(p)}`,
      ),
    ),
  ];
}
