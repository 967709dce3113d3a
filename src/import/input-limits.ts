/**
 * Bounds on what one row of an export may hold: the array reader (engine/json-array-stream.ts) never holds an
 * element bigger than MAX_ELEMENT_BYTES, and the mapper (record/from-export.ts) refuses fields longer than
 * MAX_FIELD_LENGTH (record/export-row.ts, where the fields are listed). Real rows are about 1 KB and the longest real titles a few hundred characters: these are far above anything
 * genuine, and keep a corrupt or hostile file from filling the lake, the ledger (it holds the names of plays
 * without a track id) or memory.
 */
export { MAX_FIELD_LENGTH, overlongField, overlongProblem } from '../record/export-row.js';

/**
 * The largest array element (one row) read at all, in bytes of the file. A bigger one is skipped as `invalid`
 * without being held: it is delimited as it streams past, so memory stays bounded whatever one element holds.
 */
export const MAX_ELEMENT_BYTES = 1 << 20;

/** The `invalid` problem of an element bigger than MAX_ELEMENT_BYTES. */
export function oversizedProblem(bytes: number): string {
  return `the row is ${(bytes / (1 << 20)).toFixed(1)} MB, more than the ${MAX_ELEMENT_BYTES / (1 << 20)} MB a row may be: skipped without reading it`;
}
