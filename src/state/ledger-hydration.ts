import { parseNdjsonGzip } from '../lake/encode.js';
import { parseObjectKey } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { PipelineError } from '../errors.js';
import type { PlayKey, PlayLedger } from './ledger.js';
import { playKeyOfRecord } from './record-play-key.js';

/**
 * Teaches an empty ledger what the lake already holds for the given UTC dates, by reading those date folders.
 * Used when an account has no collection state (a new or lost STATE_DIR, a container without a volume):
 * without it the plays Spotify still lists would be written a second time. Cheap: a collection touches one to
 * three dates. Returns how many plays of this user it found.
 */
export async function hydrateLedgerFromLake(options: {
  store: ObjectStore;
  prefix: string;
  ledger: PlayLedger;
  userId: string;
  dates: Iterable<string>;
  log: Logger;
}): Promise<number> {
  const { store, prefix, ledger, userId, log } = options;
  const plays: PlayKey[] = [];
  for (const date of new Set(options.dates)) {
    const folder = `${prefix}${date.replaceAll('-', '/')}/`;
    for await (const obj of store.list(folder)) {
      if (!parseObjectKey(obj.key)) continue;
      let records: unknown[];
      try {
        records = parseNdjsonGzip(await store.get(obj.key));
      } catch (err) {
        throw new PipelineError(
          `Cannot read the lake object ${obj.key} while checking which plays are already in the lake (${(err as Error).message}): the object is corrupt; move it aside (it is write-once, so nothing rewrites it) and run again.`,
          1,
          { cause: err },
        );
      }
      for (const r of records as Record<string, unknown>[]) {
        if (r.user_id !== userId) continue;
        const key = playKeyOfRecord(r);
        if (key) plays.push(key);
      }
    }
  }
  if (plays.length) {
    await ledger.add(plays);
    await ledger.flush();
    log.info(
      { userId, plays: plays.length },
      'no collection state for this account: learned from the lake which plays it already holds',
    );
  }
  return plays.length;
}
