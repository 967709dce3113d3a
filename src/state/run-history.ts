import path from 'node:path';
import { STATE_KEYS } from './layout.js';
import { StateLog } from './state-log.js';
import type { StateStore } from './state-store.js';

/** One line of the run history (history/runs.jsonl in the state); `stats` reads it. */
export interface RunHistoryEntry {
  run_id: string;
  command: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  outcome: 'ok' | 'failed' | 'auth_required';
  error?: string;
  [key: string]: unknown;
}

export const RUN_HISTORY_KEY = STATE_KEYS.runHistory;

/** The history's file in a local state folder. */
export function runHistoryFile(stateDir: string): string {
  return path.join(stateDir, ...RUN_HISTORY_KEY.split('/'));
}

export function runHistoryLog(state: StateStore): StateLog {
  return new StateLog(state, RUN_HISTORY_KEY);
}

/** Appends one line; a single write of a short line with O_APPEND does not interleave. */
export async function appendRunHistory(state: StateStore, entry: RunHistoryEntry): Promise<void> {
  await runHistoryLog(state).append(`${JSON.stringify(entry)}\n`);
}

/** Parses history lines, skipping a torn last line left by a crash mid-append. */
export function parseRunHistory(text: string): RunHistoryEntry[] {
  const out: RunHistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RunHistoryEntry);
    } catch {
      // torn line
    }
  }
  return out;
}

export async function readRunHistory(state: StateStore): Promise<RunHistoryEntry[]> {
  return parseRunHistory(await runHistoryLog(state).read());
}
