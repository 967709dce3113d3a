import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunHistory, runHistoryFile } from '../../src/runs/run-history.js';
import { loadHistoryRollup, rollupFile } from '../../src/runs/rollup-store.js';
import { computePipelineStats, statsFromRollup } from '../../src/runs/stats.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { tempDir } from '../helpers/cli.js';

const NOW = Date.parse('2026-06-15T12:00:00.000Z');
const line = (h: number, plays: number, outcome = 'ok') =>
  `${JSON.stringify({
    run_id: `r${h}`,
    command: 'run-once',
    started_at: new Date(NOW - h * 3_600_000).toISOString(),
    finished_at: new Date(NOW - h * 3_600_000).toISOString(),
    duration_ms: 1,
    outcome,
    plays_new: plays,
    files_written: 1,
    bytes_written: 10,
    accounts: [{ user_id: 'alice', outcome, plays_new: plays, files_written: 1, bytes_written: 10 }],
  })}\n`;

describe('stats rollup of the run history', () => {
  it('reads only appended lines, leaves a torn line for later, and matches a full read', async () => {
    const stateDir = await tempDir();
    const file = runHistoryFile(stateDir);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const lines = Array.from({ length: 40 }, (_, i) => line(24 * (40 - i), i + 1));
    await fs.writeFile(file, lines.join(''));

    const first = await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW });
    expect(first.runs).toBe(40);
    const stored = JSON.parse(await fs.readFile(rollupFile(stateDir), 'utf8')) as { offset: number };
    expect(stored.offset).toBe((await fs.stat(file)).size);
    // Only the last 31 days of runs are kept in detail; totals keep everything.
    expect(first.all.recent.length).toBeLessThanOrEqual(32);
    expect(first.all.totals.plays).toBe((40 * 41) / 2);

    // A line being appended (no newline yet) is not consumed; once complete it counts exactly once.
    const next = line(1, 100);
    await fs.appendFile(file, next.slice(0, 30));
    expect((await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW })).runs).toBe(40);
    await fs.appendFile(file, next.slice(30));
    const second = await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW });
    expect(second.runs).toBe(41);

    const full = computePipelineStats(parseRunHistory(await fs.readFile(file, 'utf8')), {
      now: new Date(NOW),
      timeZone: 'UTC',
    });
    expect(statsFromRollup(second, { now: new Date(NOW), timeZone: 'UTC' })).toEqual(full);
  });

  it('rebuilds when the history was replaced or truncated, or the rollup is corrupt', async () => {
    const stateDir = await tempDir();
    const file = runHistoryFile(stateDir);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, line(5, 3) + line(4, 4));
    expect((await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW })).all.totals.plays).toBe(7);

    await fs.writeFile(file, line(3, 10)); // replaced by a shorter file
    expect((await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW })).all.totals.plays).toBe(
      10,
    );

    await fs.writeFile(rollupFile(stateDir), '{not json');
    expect((await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW })).all.totals.plays).toBe(
      10,
    );

    await fs.rm(file);
    expect((await loadHistoryRollup(new LocalStateStore(stateDir), { nowMs: NOW })).runs).toBe(0);
  });
});
