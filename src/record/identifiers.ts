/**
 * How a column name of the record (a core key or a custom field) is written in the DDL of each warehouse.
 * One rule for Snowflake and DuckDB alike: a plain lower snake_case name that neither engine reserves is
 * written as it is; any other name is quoted. A quoted name is exactly the column an unquoted one would be:
 *
 * - Snowflake resolves an unquoted name to upper case, so it is quoted in upper case (`order` → `"ORDER"`):
 *   INFORMATION_SCHEMA shows ORDER, and MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE still matches the JSON key
 *   `order`. (docs.snowflake.com/en/sql-reference/identifiers-syntax)
 * - DuckDB is case-insensitive, so it is quoted as it is (`order` → `"order"`).
 *
 * Quoting a name that did not need it changes nothing, so the lists below err on the side of too many words.
 * Queries that name such a column must quote it as well (docs/snowflake.md, "Custom fields").
 */
export type SqlEngine = 'snowflake' | 'duckdb';

/**
 * Snowflake's reserved and limited keywords (every entry of docs.snowflake.com/en/sql-reference/reserved-keywords,
 * "Reserved & limited keywords": reserved by ANSI, reserved by Snowflake, "cannot be used as column name", and
 * the limited ones that may not be column references).
 */
export const SNOWFLAKE_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'ACCOUNT ALL ALTER AND ANY AS ASOF BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT CREATE ' +
    'CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE DISTINCT DROP ELSE ' +
    'EXISTS FALSE FOLLOWING FOR FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN INCREMENT INNER INSERT INTERSECT ' +
    'INTO IS ISSUE JOIN LATERAL LEFT LIKE LOCALTIME LOCALTIMESTAMP MATCH_CONDITION MATCH_RECOGNIZE MINUS ' +
    'NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP REVOKE RIGHT RLIKE ROW ROWS SAMPLE SCHEMA ' +
    'SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER TRUE TRY_CAST UNION UNIQUE UPDATE USING VALUES ' +
    'VIEW WHEN WHENEVER WHERE WINDOW WITH'
  ).split(' '),
);

/**
 * DuckDB's keywords that are not plain identifiers: `duckdb_keywords()` categories `reserved` and `type_function`
 * (the latter may not be column names either). test/snowflake/identifiers.test.ts checks this list against
 * the DuckDB the project runs.
 */
export const DUCKDB_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint ' +
    'create default deferrable desc describe distinct do else end except false fetch for foreign from group ' +
    'having in initially intersect into lambda lateral leading limit not null offset on only or order pivot ' +
    'pivot_longer pivot_wider placing primary qualify references returning select show some summarize ' +
    'symmetric table then to trailing true union unique unpivot using variadic when where window with ' +
    'anti asof at authorization binary by collation columns concurrently cross freeze full generated glob ' +
    'ilike inner is isnull join left like map natural notnull outer overlaps positional right semi similar ' +
    'struct tablesample try_cast unpack verbose'
  ).split(' '),
);

const PLAIN = /^[a-z][a-z0-9_]*$/;

/** Longest column name: Snowflake takes 255 characters (identifier requirements); DuckDB more. */
const MAX_COLUMN_NAME = 255;

/** True when either engine would misread the name unquoted. */
export function needsQuotes(name: string): boolean {
  return (
    !PLAIN.test(name) || SNOWFLAKE_KEYWORDS.has(name.toUpperCase()) || DUCKDB_KEYWORDS.has(name.toLowerCase())
  );
}

/** Why a name cannot be a column in both engines; undefined when it can (quoted or not). */
export function columnNameProblem(name: string): string | undefined {
  if (!name) return 'is empty';
  if (name.length > MAX_COLUMN_NAME) return `is longer than ${MAX_COLUMN_NAME} characters`;
  // A double quote or a control character cannot be written inside a quoted identifier portably.
  // eslint-disable-next-line no-control-regex
  if (/["\u0000-\u001f]/.test(name)) return 'holds a double quote or a control character';
  return undefined;
}

/** The name as the DDL and queries of `engine` write it. */
export function columnSql(name: string, engine: SqlEngine): string {
  const problem = columnNameProblem(name);
  if (problem) throw new Error(`column name ${JSON.stringify(name)} ${problem}`);
  if (!needsQuotes(name)) return name;
  return engine === 'snowflake' ? `"${name.toUpperCase()}"` : `"${name}"`;
}
