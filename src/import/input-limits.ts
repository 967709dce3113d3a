/**
 * Bounds on what one row of an export may hold: the array reader (json-array-stream.ts) never holds an
 * element bigger than MAX_ELEMENT_BYTES, and the mapper (map-rows.ts) refuses fields longer than
 * MAX_FIELD_LENGTH. Real rows are about 1 KB and the longest real titles a few hundred characters: these are far above anything
 * genuine, and keep a corrupt or hostile file from filling the lake, the ledger (it holds the names of plays
 * without a track id) or memory.
 */

/** The longest string a field the import reads may hold, in characters (UTF-16 code units, JS `length`). */
export const MAX_FIELD_LENGTH = 4096;

/**
 * The largest array element (one row) read at all, in bytes of the file. A bigger one is skipped as `invalid`
 * without being held: it is delimited as it streams past, so memory stays bounded whatever one element holds.
 */
export const MAX_ELEMENT_BYTES = 1 << 20;

/** The first of `keys` whose value in `row` is a string longer than MAX_FIELD_LENGTH, or undefined. */
export function overlongField(row: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = row[key];
    if (typeof v === 'string' && v.length > MAX_FIELD_LENGTH) return key;
  }
  return undefined;
}

/** The `invalid` problem of a row with an overlong field (the same words from both paths). */
export function overlongProblem(key: string, length: number): string {
  return `"${key}" is ${length.toLocaleString('en-US')} characters long, more than the ${MAX_FIELD_LENGTH.toLocaleString('en-US')} a field may hold`;
}

/** The `invalid` problem of an element bigger than MAX_ELEMENT_BYTES. */
export function oversizedProblem(bytes: number): string {
  return `the row is ${(bytes / (1 << 20)).toFixed(1)} MB, more than the ${MAX_ELEMENT_BYTES / (1 << 20)} MB a row may be: skipped without reading it`;
}
