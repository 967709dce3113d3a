import { EPISODE_KEYS } from '../record/episode-schema.js';
import { COLUMN_TYPES, RECORD_KEYS, type ColumnType } from '../record/schema.js';

/** A field a transform module adds to every record, as it declares it (`fields` export). */
export interface CustomField {
  name: string;
  type: ColumnType;
}

/**
 * Names no custom field may take: every core key of both datasets, and the columns the warehouses add
 * themselves (Snowflake's `source_file`). A field of that name would change a core value or be overwritten.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set<string>([
  ...RECORD_KEYS,
  ...EPISODE_KEYS,
  'source_file',
]);

/**
 * Lower snake case, starting with a letter. A name either warehouse reserves (`order`, `group`, `values`,
 * `left`…) is still accepted: src/record/identifiers.ts quotes it in both engines' DDL.
 */
const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Longest string value (the import's own limit for the fields it reads, src/import/input-limits.ts). */
export const MAX_STRING_LENGTH = 4096;
/** Largest `json` value once serialised: records stay small lines. */
export const MAX_JSON_BYTES = 16_384;

/**
 * Checks a module's `fields` declaration; returns the fields in declaration order or the problem.
 * Everything a later record can be checked against is decided here, once.
 */
export function parseDeclaration(fields: unknown): CustomField[] | string {
  if (fields === undefined) return [];
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    return `"fields" must be an object of field name → type, for example { session_id: 'string' }`;
  }
  const out: CustomField[] = [];
  for (const [name, type] of Object.entries(fields as Record<string, unknown>)) {
    if (RESERVED_NAMES.has(name)) {
      return `field "${name}" is a core key of the record schema: custom fields can only add keys, never change or remove core ones; give it another name`;
    }
    if (!FIELD_NAME.test(name)) {
      return `field "${name}" is not lower snake_case (a letter, then letters, digits or _; at most 63): rename it, e.g. "${suggestName(name)}"`;
    }
    if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) {
      return `field "${name}" has type ${JSON.stringify(type)}: use one of ${COLUMN_TYPES.join(', ')}`;
    }
    out.push({ name, type: type as ColumnType });
  }
  return out;
}

function suggestName(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '');
  return s || 'my_field';
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why `value` cannot be stored in a column of `type`; undefined when it can. `null` always can. */
export function valueProblem(type: ColumnType, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return `must be a string or null, got ${describe(value)}`;
      return value.length > MAX_STRING_LENGTH
        ? `is ${value.length} characters long (at most ${MAX_STRING_LENGTH})`
        : undefined;
    case 'integer':
      return Number.isSafeInteger(value)
        ? undefined
        : `must be a whole number or null, got ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `must be a finite number or null, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true, false or null, got ${describe(value)}`;
    case 'timestamp':
      return typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `must be a UTC time as new Date(...).toISOString() writes it (2024-01-15T14:30:00.000Z), got ${describe(value)}`;
    case 'date':
      return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `must be a date YYYY-MM-DD, got ${describe(value)}`;
    case 'string_array':
      return Array.isArray(value) &&
        value.every((v) => typeof v === 'string' && v.length <= MAX_STRING_LENGTH)
        ? undefined
        : `must be an array of strings or null, got ${describe(value)}`;
    case 'json': {
      const problem = jsonProblem(value, 0);
      if (problem) return problem;
      const size = Buffer.byteLength(JSON.stringify(value));
      return size > MAX_JSON_BYTES ? `is ${size} bytes as JSON (at most ${MAX_JSON_BYTES})` : undefined;
    }
  }
}

/** Plain JSON only: a Date, a Map, undefined or NaN would change (or vanish) when written. */
function jsonProblem(value: unknown, depth: number): string | undefined {
  if (depth > 16) return 'is nested more than 16 levels deep';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `holds ${String(value)}`;
  if (Array.isArray(value)) {
    for (const v of value) {
      const p = jsonProblem(v, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) {
      const p = jsonProblem(v, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `is not JSON (strings, numbers, booleans, null, arrays and plain objects of those): got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date (return date.toISOString())';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
}

/**
 * Checks what a transform returned for one record against the declared fields; returns the values in
 * declaration order (null where the transform gave none) or the problem, naming the field.
 */
export function checkExtras(
  result: unknown,
  fields: readonly CustomField[],
): { values: unknown[] } | { field?: string; problem: string } {
  if (result === undefined || result === null) return { values: fields.map(() => null) };
  if (typeof result !== 'object' || Array.isArray(result)) {
    return {
      problem: `returned ${describe(result)}: return an object of the fields to add (or nothing for none)`,
    };
  }
  const given = result as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (RESERVED_NAMES.has(key)) {
      return {
        field: key,
        problem: `returned core key "${key}": core keys (the record schema) can never be changed or removed, only new fields added`,
      };
    }
    if (!fields.some((f) => f.name === key)) {
      return {
        field: key,
        problem: `returned "${key}", which its "fields" export does not declare: declare it with its type (${COLUMN_TYPES.join(', ')})`,
      };
    }
  }
  const values: unknown[] = [];
  for (const f of fields) {
    const v = given[f.name] === undefined ? null : given[f.name];
    const problem = valueProblem(f.type, v);
    if (problem) return { field: f.name, problem: `"${f.name}" (${f.type}) ${problem}` };
    values.push(v);
  }
  return { values };
}
