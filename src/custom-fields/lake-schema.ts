import { LAKE_SCHEMA_KEY } from '../lake/layout.js';
import { COLUMN_TYPES, type ColumnType } from '../record/schema.js';
import { StateConflictError, type StateStore } from '../state/state-store.js';
import type { CustomField } from './field-rules.js';
import { TransformError } from './transform-runner.js';

/**
 * The custom fields the lake's records carry, kept in the lake itself (beside the lease, outside every dataset
 * prefix, so Snowpipe and the warehouse never read it as data). The lake is the source of truth: the warehouse,
 * `snowflake setup` and `snowflake status` learn the columns from here, whoever wrote the records and whether
 * or not TRANSFORM_MODULE is set where they run. Fields are only ever added, in the order they first appeared.
 */
export { LAKE_SCHEMA_KEY };

interface LakeSchemaFile {
  version: 1;
  custom_fields: { name: string; type: ColumnType; added_at: string }[];
}

function parse(body: Buffer, where: string): LakeSchemaFile {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    data = undefined;
  }
  const fields = (data as LakeSchemaFile | undefined)?.custom_fields;
  if (
    !Array.isArray(fields) ||
    !fields.every(
      (f) =>
        f && typeof f.name === 'string' && (COLUMN_TYPES as readonly string[]).includes(f.type as string),
    )
  ) {
    throw new TransformError(
      `${where}/${LAKE_SCHEMA_KEY} is not a schema this pipeline wrote (expected {"version":1,"custom_fields":[{"name","type","added_at"}]}). Restore it from a backup or the bucket's previous version.`,
    );
  }
  return { version: 1, custom_fields: fields };
}

/** The custom fields recorded in the lake, in the order they were added (none when there is no schema yet). */
export async function readLakeFields(lake: StateStore): Promise<CustomField[]> {
  const current = await lake.read(LAKE_SCHEMA_KEY);
  if (!current) return [];
  return fieldsOf(parse(current.body, lake.location));
}

const fieldsOf = (file: LakeSchemaFile): CustomField[] =>
  file.custom_fields.map(({ name, type }) => ({ name, type }));

/**
 * The lake's fields followed by the declared ones it lacks; the problem when a declared field has another
 * type than the lake's (a column's type never changes: it would break every table already loaded).
 */
export function mergeFields(
  lake: readonly CustomField[],
  declared: readonly CustomField[],
): { fields: CustomField[]; added: CustomField[] } | string {
  const added: CustomField[] = [];
  for (const d of declared) {
    const known = lake.find((f) => f.name === d.name);
    if (!known) added.push(d);
    else if (known.type !== d.type) {
      return `field "${d.name}" is declared "${d.type}", but the lake's records already carry it as "${known.type}" (${LAKE_SCHEMA_KEY}): a column's type never changes. Keep "${known.type}", or give the field a new name`;
    }
  }
  return { fields: [...lake, ...added], added };
}

/**
 * Records the declared fields in the lake before any record carrying them is written (so a warehouse that
 * sees such a record already knows its column). Conditional writes: a concurrent writer's addition is merged,
 * never overwritten. Returns every field records must now carry, in order, and those this call added.
 */
export async function declareLakeFields(
  lake: StateStore,
  declared: readonly CustomField[],
  module: string,
  now: () => Date = () => new Date(),
): Promise<{ fields: CustomField[]; added: CustomField[] }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await lake.read(LAKE_SCHEMA_KEY);
    const file: LakeSchemaFile = current
      ? parse(current.body, lake.location)
      : { version: 1, custom_fields: [] };
    const merged = mergeFields(fieldsOf(file), declared);
    if (typeof merged === 'string') throw new TransformError(`The transform module ${module}: ${merged}.`);
    if (merged.added.length === 0) return merged;
    const at = now().toISOString();
    const next: LakeSchemaFile = {
      version: 1,
      custom_fields: [...file.custom_fields, ...merged.added.map((f) => ({ ...f, added_at: at }))],
    };
    const body = `${JSON.stringify(next, null, 2)}\n`;
    try {
      if (current) await lake.replace(LAKE_SCHEMA_KEY, body, current.version);
      else if ((await lake.create(LAKE_SCHEMA_KEY, body)) === undefined) continue;
      return merged;
    } catch (err) {
      if (!(err instanceof StateConflictError)) throw err;
    }
  }
  throw new TransformError(
    `${lake.location}/${LAKE_SCHEMA_KEY} kept changing under concurrent writers; run again.`,
  );
}
