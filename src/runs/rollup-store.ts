import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { LocalStateStore } from '../state/local-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { writeFileAtomic } from '../fs/fs-atomic.js';
import { emptyRollup, foldRecord, pruneRollup, ROLLUP_VERSION, type HistoryRollup } from './rollup.js';
import { parseHistoryLine, readRunHistory, runHistoryFile } from './run-history.js';

/**
 * The run history grows by a line per poll forever (17,520 a year at 30 minutes), so `stats` keeps a
 * rollup of what it has read in STATE_DIR/history/stats-rollup.json: the byte offset read so far, a
 * fingerprint of the file's first line, and the folded figures. Each `stats` then parses only the
 * lines appended since. The rollup is a cache: if it is missing, unreadable, or the history was
 * replaced or truncated, it is rebuilt from the whole history.
 */
interface StoredRollup {
  v: typeof ROLLUP_VERSION;
  offset: number;
  fingerprint: string;
  rollup: HistoryRollup;
}

export function rollupFile(stateDir: string): string {
  return path.join(stateDir, 'history', 'stats-rollup.json');
}

const FINGERPRINT_BYTES = 512;

export async function loadHistoryRollup(
  state: StateStore,
  options: { nowMs?: number; log?: Logger } = {},
): Promise<HistoryRollup> {
  const nowMs = options.nowMs ?? Date.now();
  if (!(state instanceof LocalStateStore)) {
    // An object store's history is read whole (its appends are objects, folded now and then).
    const rollup = emptyRollup();
    for (const record of await readRunHistory(state)) foldRecord(rollup, record);
    pruneRollup(rollup, nowMs);
    return rollup;
  }
  const stateDir = state.root;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(runHistoryFile(stateDir), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyRollup();
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(FINGERPRINT_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const firstLine = head.subarray(0, head.indexOf(10) >= 0 ? head.indexOf(10) : head.length);
    const fingerprint = createHash('sha256').update(firstLine).digest('hex');

    let stored = await readStored(stateDir);
    if (!stored || stored.fingerprint !== fingerprint || stored.offset > size) {
      stored = { v: ROLLUP_VERSION, offset: 0, fingerprint, rollup: emptyRollup() };
    }
    if (stored.offset < size) {
      const tail = Buffer.alloc(size - stored.offset);
      await handle.read(tail, 0, tail.length, stored.offset);
      // Only complete lines: a line being appended right now is read next time.
      const end = tail.lastIndexOf(10) + 1;
      for (const line of tail.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        // undefined for a torn line left by a crash mid-append
        const record = parseHistoryLine(line);
        if (record) foldRecord(stored.rollup, record);
      }
      stored.offset += end;
      pruneRollup(stored.rollup, nowMs);
      try {
        await writeFileAtomic(rollupFile(stateDir), JSON.stringify(stored), 0o600);
      } catch (err) {
        // A read-only STATE_DIR still gets its figures, only slower next time.
        options.log?.debug({ err: (err as Error).message }, 'could not save the stats rollup');
      }
    } else {
      pruneRollup(stored.rollup, nowMs);
    }
    return stored.rollup;
  } finally {
    await handle.close();
  }
}

async function readStored(stateDir: string): Promise<StoredRollup | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(rollupFile(stateDir), 'utf8')) as StoredRollup;
    // Another version (an older release's cache) is rebuilt from the history.
    if (value?.v !== ROLLUP_VERSION || typeof value.offset !== 'number' || value.rollup?.v !== ROLLUP_VERSION)
      return undefined;
    return value;
  } catch {
    return undefined;
  }
}
