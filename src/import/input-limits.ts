/**
 * Bounds on what one row of an export may hold, named in one place: the array reader
 * (engine/json-array-stream.ts) never holds an element bigger than MAX_ELEMENT_BYTES, and the mapper
 * (record/from-export.ts) refuses fields longer than MAX_FIELD_LENGTH (record/export-row.ts, with the fields
 * it bounds). Real rows are about 1 KB and the longest real titles a few hundred characters: these are far
 * above anything genuine, and keep a corrupt or hostile file from filling the lake, the ledger (it holds the
 * names of plays without a track id) or memory.
 */
export { MAX_FIELD_LENGTH, overlongField, overlongProblem } from '../record/export-row.js';
export { MAX_ELEMENT_BYTES, oversizedProblem } from './engine/index.js';
