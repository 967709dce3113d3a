import { promises as fs } from 'node:fs';
import path from 'node:path';

/** One line of the run history (STATE_DIR/history/runs.jsonl); `stats` reads it. */
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

export function runHistoryFile(stateDir: string): string {
  return path.join(stateDir, 'history', 'runs.jsonl');
}

/** Appends one line; a single write of a short line with O_APPEND does not interleave. */
export async function appendRunHistory(stateDir: string, entry: RunHistoryEntry): Promise<void> {
  const file = runHistoryFile(stateDir);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await fs.open(file, 'a', 0o600);
  try {
    await handle.write(`${JSON.stringify(entry)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads the history, skipping a torn last line left by a crash mid-append. */
export async function readRunHistory(stateDir: string): Promise<RunHistoryEntry[]> {
  let text: string;
  try {
    text = await fs.readFile(runHistoryFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
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
