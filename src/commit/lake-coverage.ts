import { PipelineError } from '../errors.js';
import { parseNdjsonGzip } from '../lake/encode.js';
import { parseObjectKey } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import { forEachConcurrently } from '../util/concurrency.js';
import type { LedgerCoverage, PlayKey } from './ledger.js';
import { playKeyOfRecord } from './record-play-key.js';

/** Objects of a month read at once: an S3 GET is mostly waiting. */
const READ_CONCURRENCY = 16;

/**
 * The plays a dataset of the lake holds for one account in a UTC month (`YYYY-MM`): every object under the
 * month's date folders, read and parsed. This is how a ledger the state does not vouch for learns what is
 * already there (the lake is the source of truth).
 */
export async function playsInLakeMonth(options: {
  store: ObjectStore;
  /** The dataset's prefix in the lake, ending in "/". */
  prefix: string;
  userId: string;
  month: string;
}): Promise<PlayKey[]> {
  const { store, userId } = options;
  const folder = `${options.prefix}${options.month.replace('-', '/')}/`;
  const keys: string[] = [];
  for await (const obj of store.list(folder)) if (parseObjectKey(obj.key)) keys.push(obj.key);
  const plays: PlayKey[] = [];
  await forEachConcurrently(keys, READ_CONCURRENCY, async (key) => {
    let records: unknown[];
    try {
      records = parseNdjsonGzip(await store.get(key));
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      throw new PipelineError(
        `Cannot read the lake object ${key} while checking which plays the lake already holds (${(err as Error).message}): the object is corrupt; move it aside (it is write-once, so nothing rewrites it) and run again.`,
        1,
        { cause: err },
      );
    }
    for (const r of records as Record<string, unknown>[]) {
      if (r.user_id !== userId) continue;
      const play = playKeyOfRecord(r);
      if (play) plays.push(play);
    }
  });
  return plays;
}

/** A ledger's coverage in the given epoch, learning months from this dataset of the lake. */
export function lakeCoverage(options: {
  store: ObjectStore;
  prefix: string;
  userId: string;
  epoch: number;
}): LedgerCoverage {
  return {
    epoch: options.epoch,
    learn: (month) => playsInLakeMonth({ ...options, month }),
  };
}
