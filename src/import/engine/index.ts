/**
 * The import's engine: the mechanics that make an import fast and bounded in memory, apart from its rules
 * (src/import/). A parser thread reads and maps the history files and sends rows back in columns
 * (row-parser.ts → parse-worker.ts → json-array-stream.ts, row-columns.ts, buffer-pool.ts, chunk-sources.ts);
 * a thread compresses the objects (gzip-thread.ts → gzip-worker.ts); a guard keeps memory in bounds
 * (memory-guard.ts). The rules see only what this file exports.
 */
export { BufferPool } from './buffer-pool.js';
export { GzipThread } from './gzip-thread.js';
export {
  JsonArrayError,
  MAX_ELEMENT_BYTES,
  oversizedProblem,
  streamJsonArray,
  streamJsonArrayBatches,
} from './json-array-stream.js';
export { MemoryGuard } from './memory-guard.js';
export { USER_PLACEHOLDER_JSON } from './parse-worker.js';
export { readInPlace } from './read-in-place.js';
export { ROW_TRACK, USER_EMPTY, type RowColumns } from './row-columns.js';
export { ParserThreadError, RowParseError, RowParser, type RowSlice } from './row-parser.js';
