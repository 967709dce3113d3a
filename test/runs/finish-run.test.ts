import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { importRecord, newImportReport } from '../../src/import/import-report.js';
import { finishRun } from '../../src/runs/finish-run.js';
import { readRunHistory } from '../../src/runs/run-history.js';
import { crashedRunRecord } from '../../src/runs/run-record.js';
import { computePipelineStats } from '../../src/runs/stats.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { tempDir } from '../helpers/cli.js';
import { emfProblems } from './emf-spec.js';

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, fields, msg });
    };
  return { lines, log: { info: at('info'), warn: at('warn') } as unknown as Logger };
}

const config = { metrics: { format: 'emf', namespace: 'Test' } } as Config;

describe('finishRun', () => {
  afterEach(() => vi.restoreAllMocks());

  it("ends run-continuous's crashed tick like any run: history line, EMF line, final log line", async () => {
    const state = new LocalStateStore(await tempDir());
    const emf: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => emf.push(String(chunk)) > 0);
    const { lines, log } = recordingLog();
    const at = new Date('2026-06-15T10:00:00Z');
    await finishRun(config, state, log, crashedRunRecord('r1', 'run-continuous', 'boom', 1, at));

    const history = await readRunHistory(state);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ run_id: 'r1', outcome: 'failed', error: 'boom', accounts: [] });
    const stats = computePipelineStats(history, { now: at, timeZone: 'UTC' });
    expect(stats.runs.all_time).toMatchObject({ failed: 1, total: 1 });

    expect(emf).toHaveLength(1);
    expect(emfProblems(emf[0]!.trimEnd())).toEqual([]);
    expect(JSON.parse(emf[0]!)).toMatchObject({ Command: 'run-continuous', RunsFailed: 1, RunId: 'r1' });
    expect(lines).toEqual([
      {
        level: 'info',
        fields: { outcome: 'failed', durationMs: 0, new: 0, files: 0, requests: 0 },
        msg: 'collection finished',
      },
    ]);
  });

  it("logs an import's last line in the import's words", async () => {
    const state = new LocalStateStore(await tempDir());
    const { lines, log } = recordingLog();
    const report = {
      ...newImportReport('i1', '/lake', new Date('2026-06-15T10:00:00Z')),
      finished_at: '2026-06-15T10:00:02.000Z',
      duration_ms: 2000,
      rows_read: 10,
      rows_written: 7,
      episodes_written: 1,
      plays_already_present: 2,
      objects_written: 3,
      users: ['alice'],
    };
    await finishRun(
      { metrics: { format: 'prometheus', namespace: 'N' } } as Config,
      state,
      log,
      importRecord(report),
    );
    expect(lines[0]).toEqual({
      level: 'info',
      fields: {
        outcome: 'ok',
        durationMs: 2000,
        rowsRead: 10,
        written: 7,
        episodes: 1,
        alreadyPresent: 2,
        objects: 3,
      },
      msg: 'import finished',
    });
    const [record] = await readRunHistory(state);
    expect(record).toMatchObject({
      command: 'import',
      plays_new: 7,
      plays_by_source: { recently_played: 0, player: 0, import: 7 },
      files_written: 3,
      accounts: [{ user_id: 'alice', plays_new: 7 }],
      import: { rows_read: 10, episodes_new: 1, users: ['alice'] },
    });
  });
});
