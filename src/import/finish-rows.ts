import type { CustomFields } from '../custom-fields/custom-fields.js';
import type { LineBatch } from '../lake/build-objects.js';
import { recordToJsonLine } from '../lake/encode.js';
import { EPISODE_KEYS, type EpisodeRecord } from '../record/episode-schema.js';
import { RECORD_KEYS, type ListeningRecord } from '../record/schema.js';
import type { TrackEnricher } from './track-enricher.js';

/** Records finished at once (parsed, enriched, transformed, rendered). */
const FINISH_SLICE = 500;

export interface FinishSteps {
  /** --enrich: fill what the export lacks from the Web API (tracks only). */
  enricher?: TrackEnricher;
  /** TRANSFORM_MODULE and the lake's custom fields. */
  customFields?: CustomFields;
}

/**
 * The last step of a batch's new rows before they are compressed, and the one place the import finishes
 * records: each line is read back into its record, enriched, given its custom fields (after enrichment, so a
 * transform sees the finished record), and rendered again in the same key order, custom fields last. Rows
 * already in the lake never get here, so the cost follows what is written. Nothing to do: nothing is parsed.
 */
export async function finishRows(
  rows: LineBatch,
  kind: 'track' | 'episode',
  steps: FinishSteps,
): Promise<void> {
  const enricher = kind === 'track' ? steps.enricher : undefined;
  if ((!enricher && !steps.customFields) || rows.text.length === 0) return;
  const keys = kind === 'track' ? RECORD_KEYS : EPISODE_KEYS;
  // A slice at a time: a batch's records as objects (and their copies in the transform's thread) would be
  // tens of MB on top of the import's budget (docs/import.md, peak RSS).
  for (let from = 0; from < rows.text.length; from += FINISH_SLICE) {
    const to = Math.min(rows.text.length, from + FINISH_SLICE);
    let records: (ListeningRecord & EpisodeRecord)[] = [];
    for (let i = from; i < to; i++) {
      const text = rows.text[i]!;
      const line = Buffer.from(text.buffer, text.byteOffset + rows.start[i]!, rows.end[i]! - rows.start[i]!);
      records.push(JSON.parse(line.toString('utf8')) as ListeningRecord & EpisodeRecord);
    }
    if (enricher) await enricher.enrich(records);
    if (steps.customFields) records = await steps.customFields.apply(kind, records);
    records.forEach((record, k) => {
      const line = Buffer.from(`${recordToJsonLine(record, keys)}\n`, 'utf8');
      [rows.text[from + k], rows.start[from + k], rows.end[from + k]] = [line, 0, line.length];
    });
  }
}
