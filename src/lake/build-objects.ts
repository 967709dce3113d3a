import { gzipNdjson } from './encode.js';
import { groupByDate, objectKey, type Dataset } from './layout.js';

/** A lake object ready to write: its final key and exact bytes. */
export interface PreparedObject {
  key: string;
  body: Buffer;
  records: number;
  date: string;
}

/** Anything with the time fields every dataset's records carry. */
interface Dated {
  played_at: string;
  played_at_date: string;
  played_at_timestamp: number;
}

/**
 * Groups records into one gzipped NDJSON object per UTC date (a file never spans two dates), in time order,
 * named from the earliest play, the count and the content.
 */
export function buildObjects<R extends Dated>(
  dataset: Dataset,
  records: readonly R[],
  toLine: (record: R) => string,
): PreparedObject[] {
  const groups = groupByDate(
    records,
    (r) => r.played_at_date,
    (r) => Date.parse(r.played_at),
  );
  const out: PreparedObject[] = [];
  for (const [date, group] of groups) {
    const body = gzipNdjson(group.map(toLine));
    const key = objectKey(dataset, { earliestPlayedAt: group[0]!.played_at, count: group.length, body });
    out.push({ key, body, records: group.length, date });
  }
  return out;
}
