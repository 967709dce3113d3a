/**
 * Rules of a real Snowflake account that the fakes apply to the statements we send, each written from
 * Snowflake's documentation (and kept apart from the code under test, so the code cannot agree with itself):
 *
 * - reserved words: "Snowflake SQL reserves all ANSI keywords … ORDER – Reserved by ANSI … CURRENT_DATE – Cannot be
 *   used as column name" (https://docs.snowflake.com/en/sql-reference/reserved-keywords). An unquoted one as a
 *   column name is a syntax error (001003);
 * - account hosts: the forms of "Account identifiers" (https://docs.snowflake.com/en/user-guide/admin-account-identifier):
 *   `orgname-account_name` (underscores as hyphens in a host), `locator[.[fhplus|dod.]region[.cloud]]`, each
 *   optionally `.privatelink`, on `snowflakecomputing.com`, and China (Ningxia) on `snowflakecomputing.cn`;
 * - dates: DATE_OUTPUT_FORMAT (default `YYYY-MM-DD`) and DATE_INPUT_FORMAT (default `AUTO`) are account, user or
 *   session parameters (https://docs.snowflake.com/en/sql-reference/date-time-input-output); `TO_VARCHAR(date)`
 *   follows the output format, a string compared with a DATE follows the input format.
 */

/** Every keyword of the "Reserved & limited keywords" table. */
export const DOCUMENTED_RESERVED = new Set(
  `ACCOUNT ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT CREATE CROSS
  CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE DISTINCT DROP ELSE EXISTS FALSE
  FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN INCREMENT INNER INSERT INTERSECT INTO IS ISSUE JOIN
  LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP
  REVOKE RIGHT RLIKE ROW ROWS SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER TRUE TRY_CAST
  UNION UNIQUE UPDATE USING VALUES VIEW WHEN WHENEVER WHERE WITH`.split(/\s+/),
);

export interface FakeError {
  code: string;
  sqlState: string;
  message: string;
}

/** The column names a CREATE TABLE (…) or ALTER TABLE … ADD COLUMN declares, as written (quotes kept). */
export function declaredColumns(sql: string): string[] {
  const create = /^CREATE (?:OR REPLACE )?TABLE (?:IF NOT EXISTS )?\S+ \(([\s\S]*)\)\s*$/i.exec(sql);
  if (create) return create[1]!.split(',\n').map((l) => /^\s*("[^"]*"|\S+)/.exec(l)?.[1] ?? '');
  const add = /^ALTER TABLE \S+ ADD (?:COLUMN )?(?:IF NOT EXISTS )?("[^"]*"|\S+)/i.exec(sql);
  return add ? [add[1]!] : [];
}

/** The name a declared column gets: an unquoted one is upper-cased, a quoted one is taken as it is. */
export function resolvedColumn(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1) : written.toUpperCase();
}

/** Snowflake's answer to an unquoted reserved word where a column name belongs. */
export function reservedWordError(sql: string): FakeError | undefined {
  const bad = declaredColumns(sql).find(
    (c) => !c.startsWith('"') && DOCUMENTED_RESERVED.has(c.toUpperCase()),
  );
  if (!bad) return undefined;
  const at = sql.indexOf(bad);
  const line = sql.slice(0, at).split('\n').length;
  return {
    code: '001003',
    sqlState: '42000',
    message: `SQL compilation error:\nsyntax error line ${line} at position ${at - sql.lastIndexOf('\n', at) - 1} unexpected '${bad}'.`,
  };
}

/** The JWT account a documented API host belongs to (upper case), or undefined: such a host does not exist. */
export function accountOfHost(host: string): string | undefined {
  const m = /^(.+?)\.snowflakecomputing\.(com|cn)$/.exec(host);
  if (!m) return undefined;
  const [, rest, tld] = m as unknown as [string, string, string];
  const parts = rest.split('.');
  if (parts.at(-1) === 'privatelink') parts.pop();
  const [first, ...more] = parts;
  if (!first) return undefined;
  if (more.length === 0 && /^[a-z][a-z0-9]*-[a-z][a-z0-9-]*$/.test(first)) return first.toUpperCase();
  if (!/^[a-z]{1,3}[0-9]{3,}$/.test(first)) return undefined;
  const segments = /^(fhplus|dod)$/.test(more[0] ?? '') ? more.slice(1) : more;
  if (segments.length !== more.length && segments.length === 0) return undefined;
  const [region, cloud, ...extra] = segments;
  if (extra.length) return undefined;
  if (region !== undefined && !/^[a-z]+(-[a-z0-9]+)+$/.test(region)) return undefined;
  if (cloud !== undefined && !/^(aws|azure|gcp)$/.test(cloud)) return undefined;
  // "This region utilizes the snowflakecomputing.cn domain instead of the snowflakecomputing.com domain".
  const china = region?.startsWith('cn-') ?? false;
  if (china !== (tld === 'cn')) return undefined;
  return first.toUpperCase();
}

/** A date (YYYY-MM-DD) as TO_VARCHAR writes it under `format` (the format elements this project meets). */
export function formatDate(iso: string, format: string): string {
  const [y, m, d] = iso.split('-') as [string, string, string];
  return format.replace('YYYY', y).replace('MM', m).replace('DD', d);
}

/** Whether a date string is read as a date under DATE_INPUT_FORMAT (AUTO reads ISO dates). */
export function readsAsDate(text: string, inputFormat: string): boolean {
  if (inputFormat === 'AUTO') return /^\d{4}-\d{2}-\d{2}$/.test(text);
  const pattern = inputFormat.replace('YYYY', '\\d{4}').replace('MM', '\\d{2}').replace('DD', '\\d{2}');
  return new RegExp(`^${pattern}$`).test(text);
}

/** The SQL API's answer when a statement needs a warehouse and the session has no usable one. */
export const NO_WAREHOUSE: FakeError = {
  code: '391920',
  sqlState: '57P03',
  message:
    'Unable to run the command. You must specify the warehouse to use by either setting the warehouse field in the body of the request or by setting the DEFAULT_NAMESPACE property for the current user.',
};

/**
 * Whether a statement runs on a warehouse: queries over tables and loads do; DDL, SHOW, DESC, LIST and
 * metadata functions (SYSTEM$PIPE_STATUS, CURRENT_USER()) run in the cloud services layer.
 */
export function needsWarehouse(sql: string): boolean {
  if (/^\s*(COPY|INSERT)\b/i.test(sql)) return true;
  return /^\s*SELECT\b/i.test(sql) && /\bFROM\b/i.test(sql);
}

/** Snowflake's refusal when the storage integration's role cannot be assumed (no trust policy attached). */
export const ASSUME_ROLE_FAILED: FakeError = {
  code: '091003',
  sqlState: 'XX000',
  message:
    'Failure using stage area. Cause: [Error assuming AWS_ROLE. Please verify the role and externalId are configured correctly in your AWS policy.]',
};
