import type { CustomField } from '../custom-fields/field-rules.js';
import { OBJECT_NAMES, qualified, type SnowflakeObjects } from './settings.js';
import { rowObjects, type SnowflakeSqlClient } from './sql-api.js';

export interface MissingColumn {
  table: string;
  column: string;
  type: string;
}

/**
 * The lake's custom fields that a table lacks. COPY with MATCH_BY_COLUMN_NAME loads only the keys that have
 * a column, so such a field's values are dropped, silently, from every file loaded until the column exists.
 * A table the role cannot see (no rows in INFORMATION_SCHEMA.COLUMNS) is not judged.
 */
export async function missingColumns(
  client: SnowflakeSqlClient,
  objects: SnowflakeObjects,
  fields: readonly CustomField[],
): Promise<MissingColumn[]> {
  if (fields.length === 0) return [];
  const tables = [OBJECT_NAMES.tracksTable, OBJECT_NAMES.episodesTable];
  const result = await client.execute(
    [
      'SELECT table_name, column_name',
      `FROM ${objects.database}.INFORMATION_SCHEMA.COLUMNS`,
      `WHERE table_schema = '${objects.schema.toUpperCase()}'`,
      `  AND table_name IN (${tables.map((t) => `'${t}'`).join(', ')})`,
    ].join('\n'),
    'reading the tables’ columns',
  );
  const seen = new Map<string, Set<string>>();
  for (const r of rowObjects(result)) {
    const table = String(r.table_name ?? '').toUpperCase();
    if (!seen.has(table)) seen.set(table, new Set());
    seen.get(table)!.add(String(r.column_name ?? '').toUpperCase());
  }
  const missing: MissingColumn[] = [];
  for (const table of tables) {
    const columns = seen.get(table);
    if (!columns) continue;
    for (const f of fields)
      if (!columns.has(f.name.toUpperCase()))
        missing.push({ table: qualified(objects, table), column: f.name, type: f.type });
  }
  return missing;
}
