import { PipelineError } from '../errors.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { PlayLedger } from './ledger.js';
import { STATE_KEYS, STATE_LOGS } from '../state/layout.js';
import { StateLog } from '../state/state-log.js';
import { readStateIdentity, saveStateIdentity } from './state-identity.js';
import type { StateStore } from '../state/state-store.js';

/** Append-only logs: copied as their whole text, whatever form (file or folded objects) they have. */
const LOGS = STATE_LOGS;
/** Local caches and the lock: rebuilt or taken anew where the state goes. */
const NOT_COPIED = [/^pipeline\.lock$/, /^warehouse\//, /^history\/stats-rollup\.json$/, /\.cas$/];

export interface MigrationReport {
  from: string;
  to: string;
  objects_copied: number;
  bytes_copied: number;
  /** Plays per account and dataset, counted in both states after the copy (they are equal). */
  plays: { user_id: string; dataset: string; plays: number }[];
}

function ledgerOf(key: string): { userId: string; dataset: string } | undefined {
  const m = /^users\/([^/]+)\/ledger(?:-([^/]+))?\//.exec(key);
  return m ? { userId: decodeURIComponent(m[1]!), dataset: m[2] ?? 'tracks' } : undefined;
}

/**
 * Copies a whole state to another store (a folder to S3, or back), verifies it (every object's bytes, and
 * the plays of every ledger counted on both sides), then marks the source as moved so that it is not used
 * by mistake next to its copy. The caller holds the lake's lease, so nothing writes meanwhile. The target
 * must hold no state yet.
 */
export async function migrateState(from: StateStore, to: StateStore): Promise<MigrationReport> {
  const source = await readStateIdentity(from);
  if ((await to.list('')).length > 0) {
    throw new PipelineError(
      `The target ${to.location} already holds state: migrate into an empty folder or prefix (two states for one lake must never be merged by hand).`,
      2,
    );
  }
  const keys = (await from.list('')).filter(
    (k) =>
      !NOT_COPIED.some((re) => re.test(k)) &&
      k !== STATE_KEYS.identity &&
      !LOGS.some((log) => k === log || k.startsWith(`${log}.d/`)),
  );
  let bytes = 0;
  await forEachConcurrently(keys, 8, async (key) => {
    const object = await from.read(key);
    if (!object) return; // deleted since it was listed (an outbox entry finished)
    if ((await to.create(key, object.body)) === undefined) {
      throw new PipelineError(
        `${to.location}/${key} appeared in the target during the copy: nothing was switched.`,
        1,
      );
    }
    const back = await to.read(key);
    if (!back || !back.body.equals(object.body)) {
      throw new PipelineError(
        `${to.location}/${key} does not read back as written: nothing was switched.`,
        1,
      );
    }
    bytes += object.body.length;
  });
  let copied = keys.length;
  for (const log of LOGS) {
    const text = await new StateLog(from, log).read();
    if (text === '') continue;
    await to.create(log, text);
    if ((await new StateLog(to, log).read()) !== text) {
      throw new PipelineError(
        `The log ${log} does not read back as written in ${to.location}: nothing was switched.`,
        1,
      );
    }
    bytes += Buffer.byteLength(text);
    copied++;
  }

  const ledgers = new Map<string, { userId: string; dataset: string }>();
  for (const key of keys) {
    const l = ledgerOf(key);
    if (l) ledgers.set(`${l.userId}\u0000${l.dataset}`, l);
  }
  const plays: MigrationReport['plays'] = [];
  for (const { userId, dataset } of ledgers.values()) {
    const [a, b] = await Promise.all([
      new PlayLedger(from, userId, dataset).count(),
      new PlayLedger(to, userId, dataset).count(),
    ]);
    if (a !== b) {
      throw new PipelineError(
        `Verification failed: ${userId}'s ${dataset} ledger holds ${a} plays in ${from.location} but ${b} in ${to.location}. Nothing was switched; remove the copy and try again.`,
        1,
      );
    }
    plays.push({ user_id: userId, dataset, plays: a });
  }

  // The identity moves last: the copy keeps the source's id and epoch (it is the same state), and the
  // source is marked moved, so a run still pointed at it stops with a message instead of writing twice.
  if (source) {
    await to.create(STATE_KEYS.identity, `${JSON.stringify(source.identity)}\n`);
    await saveStateIdentity(from, { ...source.identity, moved_to: to.location }, source.version);
    copied++;
  }
  return { from: from.location, to: to.location, objects_copied: copied, bytes_copied: bytes, plays };
}
