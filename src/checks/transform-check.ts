import { errorMessage } from '../errors.js';
import { columnNameProblem, columnSql, needsQuotes } from '../record/identifiers.js';
import type { ConnectionCheck } from './check.js';

/**
 * With TRANSFORM_MODULE set: the module loads in its thread, its declaration is valid, it agrees with the
 * types the lake's records already carry, and every field can be a column in both warehouses (the DDL writes
 * the names through src/record/identifiers.ts), so the next run and `snowflake setup` will not stop on it.
 */
export const transformCheck: ConnectionCheck = async (config, log) => {
  if (!config.transform) return [];
  const name = `transform module (${config.transform.module})`;
  try {
    const { lakeCustomFields } = await import('../custom-fields/lake-custom-fields.js');
    const fields = await lakeCustomFields(config, log, { declare: false });
    const broken = fields.map((f) => ({ f, problem: columnNameProblem(f.name) })).filter((x) => x.problem);
    if (broken.length) {
      return [
        {
          name,
          ok: false,
          detail: broken
            .map((x) => `field "${x.f.name}" ${x.problem}: it cannot be a warehouse column; rename it`)
            .join('; '),
        },
      ];
    }
    const quoted = fields.filter((f) => needsQuotes(f.name));
    const note = quoted.length
      ? `; ${quoted.map((f) => f.name).join(', ')} ${quoted.length === 1 ? 'is a reserved word' : 'are reserved words'}: the tables quote ${quoted.length === 1 ? 'it' : 'them'} (Snowflake ${quoted.map((f) => columnSql(f.name, 'snowflake')).join(', ')}, DuckDB ${quoted.map((f) => columnSql(f.name, 'duckdb')).join(', ')}), and queries must too`
      : '';
    return [
      {
        name,
        ok: true,
        detail: `records carry ${fields.map((f) => `${f.name} (${f.type})`).join(', ')}${note}`,
      },
    ];
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};
