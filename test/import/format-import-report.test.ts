import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatImportReport } from '../../src/import/format-import-report.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { runCli, tempDir } from '../helpers/cli.js';

/** A report as run-import builds it; `overrides` set the figures a case is about. */
function report(overrides: Partial<ImportReport>): ImportReport {
  return {
    run_id: 'r1',
    command: 'import',
    outcome: 'ok',
    exit_code: 0,
    started_at: '2026-12-03T11:35:54.981Z',
    finished_at: '2026-12-03T11:35:57.510Z',
    duration_ms: 2529,
    lake: '/lake/spotify_listening_history/',
    resumed: false,
    files_found: { extended: 1, account_data: 1, ignored: 0 },
    files: [
      {
        file: 'Streaming_History_Audio_2026_0.json',
        kind: 'extended',
        what: 'Extended Streaming History, audio',
        rows: 100,
        status: 'imported',
      },
      {
        file: 'StreamingHistory_music_0.json',
        kind: 'account_data',
        what: 'Account Data, music',
        rows: 40,
        status: 'imported',
      },
    ],
    ignored_files: [],
    files_read: 2,
    rows_read: 140,
    rows_already_imported: 0,
    rows_written: 100,
    episodes_written: 0,
    invalid_utf8_rows: 0,
    invalid_utf8_examples: [],
    rows_skipped: 0,
    skipped_by_reason: {},
    invalid_examples: [],
    plays_already_present: 40,
    episodes_already_present: 0,
    plays_recovered: 0,
    date_range: null,
    users: ['u1'],
    objects_written: 3,
    bytes_written: 2048,
    objects: [],
    enrich: null,
    ...overrides,
  };
}

describe('the import report in words', () => {
  it('explains "already present" on a first import: the export lists recent plays in both of its kinds', () => {
    const text = formatImportReport(report({}));
    expect(text).toContain('  already present: 40 plays, 0 episodes\n');
    expect(text).toContain('Account Data repeats the plays of the Extended Streaming History');
    expect(text).not.toContain('resumed');
    expect(text).toContain('found: 1 Extended Streaming History file, 1 Account Data file; 0 other files');

    // One kind only: the plays were in the lake already.
    const one = formatImportReport(
      report({ files: [report({}).files[0]!], files_found: { extended: 1, account_data: 0, ignored: 0 } }),
    );
    expect(one).toContain('(not written again: already in the lake, from an earlier import or the API)');
  });

  it('says "nothing new" when every file was committed before, "resumed" only when part of them was', () => {
    const done = report({
      resumed: true,
      rows_already_imported: 140,
      files: report({}).files.map((f) => ({ ...f, status: 'already_imported' as const })),
      files_read: 0,
      rows_read: 0,
      rows_written: 0,
      plays_already_present: 0,
    });
    const text = formatImportReport(done);
    expect(text).toContain('nothing new: an earlier import already committed every one of these files');
    expect(text).not.toContain('resumed');
    expect(text).not.toContain('not written again');

    const partly = report({
      resumed: true,
      files: [{ ...report({}).files[0]!, status: 'resumed' }, report({}).files[1]!],
    });
    expect(formatImportReport(partly)).toContain(
      'resumed: an earlier import had already committed part of these files; only the rest was read',
    );
  });

  it('names every file of the export with what was done with it', () => {
    const text = formatImportReport(
      report({
        files_found: { extended: 1, account_data: 1, ignored: 1 },
        ignored_files: [{ file: 'export/Userdata.json', why: 'not listening history' }],
      }),
    );
    expect(text).toContain(
      '    Streaming_History_Audio_2026_0.json (Extended Streaming History, audio): 100 rows, read\n',
    );
    expect(text).toContain('    StreamingHistory_music_0.json (Account Data, music): 40 rows, read\n');
    expect(text).toContain('    export/Userdata.json: ignored, not listening history\n');
  });

  it('prints an import error once: the report on stdout, the error on stderr', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'Streaming_History_Audio_2024_0.json');
    await fs.writeFile(file, '[{"ts": "2024-01-01T00:00:00Z", "ms_played": 1');
    const r = await runCli(['--data-dir', 'lake', '--state-dir', 'state', 'import', file, '--user', 'u1'], {
      cwd: dir,
      logLevel: 'warn',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('import: FAILED');
    expect(r.stdout).not.toContain('truncated');
    expect(r.stderr.match(/error: .*truncated/g)).toHaveLength(1);
  });
});
