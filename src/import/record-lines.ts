import type { EpisodeRecord } from '../record/episode-schema.js';
import { RECORD_KEYS, type ListeningRecord } from '../record/schema.js';
import type { MappedRow } from './map-rows.js';

/**
 * JSON lines of the import's records. The mappers build every record with the schema's keys in schema
 * order, so `JSON.stringify` alone gives the same bytes as `recordToJsonLine` (a test holds them equal)
 * without copying each record into a new ordered object: a measurable share of an import's CPU time.
 */
/**
 * The line of a mapped record, "\n" included: the one place where the import serialises a record (in the
 * parser thread, right after mapExportRow), so a step that changes records goes between the two.
 */
export function recordLine(mapped: Exclude<MappedRow, { kind: 'skip' }>): string {
  return `${mapped.kind === 'track' ? trackLine(mapped.record) : episodeLine(mapped.record)}\n`;
}

export function trackLine(record: ListeningRecord): string {
  return JSON.stringify(record);
}

export function episodeLine(record: EpisodeRecord): string {
  return JSON.stringify(record);
}

/** Whether a record's own keys are exactly the schema's, in order (what makes the lines above exact). */
export function inSchemaOrder(record: object, keys: readonly string[] = RECORD_KEYS): boolean {
  const own = Object.keys(record);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}
