import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { buildObjects } from '../../src/lake/build-objects.js';
import { recordToJsonLine } from '../../src/lake/encode.js';
import { tracksDataset } from '../../src/lake/layout.js';
import { silentLogger } from '../../src/log.js';
import { LakeCommitter } from '../../src/commit/committer.js';
import { PlayLedger } from '../../src/commit/ledger.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { playIdentity, readDataset } from '../helpers/lake.js';
import { play } from '../helpers/records.js';

const TRACKS = 'data/spotify_listening_history';
const EPISODES = 'data/spotify_episode_history';
let exportDir: string;
let zipPath: string;
const hasZip = (() => {
  try {
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  const base = await tempDir('import-export-');
  exportDir = path.join(base, 'my_spotify_data');
  await generateExport(exportDir, { plays: 3000, seed: 7, rowsPerFile: 1000, accountDataDays: 20 });
  if (hasZip) {
    zipPath = path.join(base, 'my_spotify_data.zip');
    execFileSync('zip', ['-q', '-r', zipPath, '.'], { cwd: exportDir });
  }
});

async function importJson(cwd: string, args: string[], env: Record<string, string> = {}) {
  const res = await runCli(['import', ...args, '--json'], { cwd, env, logLevel: 'warn' });
  return { ...res, report: res.stdout ? (JSON.parse(res.stdout) as ImportReport) : undefined };
}

function expectOnce(records: Record<string, unknown>[]) {
  const ids = records.map(playIdentity);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('import', () => {
  it('imports a folder: tracks once, episodes in their own dataset, skips counted, no IPs or user agents', async () => {
    const cwd = await tempDir();
    const { code, report, stderr } = await importJson(cwd, [exportDir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report!.files_found).toEqual({ extended: 3, account_data: 1, ignored: 3 });
    expect(report!.rows_read).toBeGreaterThan(3000);
    expect(report!.skipped_by_reason.short_play).toBeGreaterThan(0);
    expect(report!.skipped_by_reason.incognito).toBeGreaterThan(0);
    expect(report!.skipped_by_reason.audiobook).toBeGreaterThan(0);
    // Account Data of the last days describes plays the Extended files hold: the Extended ones win.
    expect(report!.plays_already_present).toBeGreaterThan(0);
    const tracks = await readDataset(path.join(cwd, TRACKS));
    const episodes = await readDataset(path.join(cwd, EPISODES));
    expect(tracks.records.length).toBe(report!.rows_written);
    expect(episodes.records.length).toBe(report!.episodes_written);
    expect(episodes.records.length).toBeGreaterThan(0);
    expect(
      episodes.files.every((f) => /spotify_episodes_\d{8}_\d{6}_batch_\d+_[a-z0-9]+\.json\.gz$/.test(f)),
    ).toBe(true);
    expectOnce(tracks.records);
    const text = JSON.stringify(tracks.records) + JSON.stringify(episodes.records);
    expect(text).not.toMatch(/ip_addr|user_agent|192\.0\.2\./);
    expect(tracks.records.every((r) => r.user_id === 'demo-user')).toBe(true);
    expect(new Set(tracks.records.map((r) => r.data_source))).toEqual(
      new Set(['spotify_extended_streaming_history', 'spotify_account_data']),
    );
    // A file per UTC date and batch, never one per play; a file never spans two dates.
    expect(tracks.files.length).toBeLessThan(tracks.records.length / 5);
    for (const f of tracks.files) {
      const day = f.split(path.sep).slice(-4, -1).join('-');
      const { records } = await readDataset(path.dirname(f));
      expect(records.filter((r) => r.played_at_date !== day)).toEqual([]);
    }
    const history = await fs.readFile(path.join(cwd, '.pipeline/history/runs.jsonl'), 'utf8');
    expect(JSON.parse(history.trim().split('\n').pop()!)).toMatchObject({ command: 'import', outcome: 'ok' });

    // Re-importing the same export (here: as the zip) writes nothing and says so.
    const again = await importJson(cwd, [hasZip ? zipPath : exportDir]);
    expect(again.code).toBe(0);
    expect(again.report!.rows_written).toBe(0);
    expect(again.report!.resumed).toBe(true);
    expect(again.report!.files.every((f) => f.status === 'already_imported')).toBe(true);
    expect((await readDataset(path.join(cwd, TRACKS))).files).toEqual(tracks.files);
  });

  it('an overlapping newer export and plays already collected from the API leave each play once', async () => {
    const cwd = await tempDir();
    const ext = path.join(exportDir, 'Spotify Extended Streaming History');
    const [first, second, third] = (await fs.readdir(ext)).filter((f) => f.endsWith('.json')).sort();
    const firstRows = JSON.parse(await fs.readFile(path.join(ext, first!), 'utf8')) as Record<
      string,
      unknown
    >[];
    // The API saw one of these plays, its clock 4 s off from the export's.
    const apiRow = firstRows.find(
      (r) => r.spotify_track_uri && (r.ms_played as number) > 60_000 && !r.incognito_mode,
    )!;
    const t = Date.parse(apiRow.ts as string) + 4000;
    const record = play(t, {
      track_id: (apiRow.spotify_track_uri as string).split(':')[2]!,
      track_name: apiRow.master_metadata_track_name as string,
      track_duration_ms: 200000,
      primary_artist_id: null,
      primary_artist_name: null,
      artist_names: [],
      album_id: null,
      album_name: null,
      album_type: null,
      album_release_date: null,
      user_id: 'demo-user',
      ingested_at: new Date().toISOString(),
    });
    const stateDir = path.join(cwd, '.pipeline');
    const ledger = new PlayLedger(new LocalStateStore(stateDir), 'demo-user');
    const committer = new LakeCommitter({
      state: new LocalStateStore(stateDir),
      userId: 'demo-user',
      store: new LocalObjectStore(path.join(cwd, 'data')),
      ledger,
      log: silentLogger,
    });
    await committer.commit({
      objects: buildObjects(tracksDataset('spotify_listening_history/'), [record], recordToJsonLine),
      plays: [{ t, id: record.track_id, name: record.track_name, src: 'api' }],
    });

    // An older export (files 0-1), then a newer one (files 1-2) that overlaps it.
    const older = await importJson(cwd, [path.join(ext, first!), path.join(ext, second!)]);
    expect(older.code).toBe(0);
    expect(older.report!.plays_already_present).toBe(1);
    const copy = await tempDir();
    await fs.copyFile(path.join(ext, second!), path.join(copy, second!));
    // Spotify renumbers files between exports: the same rows under another name are still found present.
    await fs.copyFile(path.join(ext, third!), path.join(copy, third!.replace(/_\d+\.json$/, '_0.json')));
    const newer = await importJson(cwd, [copy]);
    expect(newer.code).toBe(0);
    const status = Object.fromEntries(newer.report!.files.map((f) => [path.basename(f.file), f.status]));
    expect(status[second!]).toBe('already_imported');
    expect(Object.values(status).sort()).toEqual(['already_imported', 'imported']);
    const { records } = await readDataset(path.join(cwd, TRACKS));
    expectOnce(records);
    // The API's record stays the only one for its play.
    expect(
      records.filter(
        (r) => r.track_id === record.track_id && Math.abs(Date.parse(r.played_at as string) - t) < 10_000,
      ),
    ).toHaveLength(1);
    expect(records.length).toBe(1 + older.report!.rows_written + newer.report!.rows_written);
  });

  it('a crash mid-import, then a rerun: every play once, no partial file, and the rerun resumes', async () => {
    const cwd = await tempDir();
    const env = { SPOTIFY_PIPELINE_PAUSE_AT: 'import-after-batch' };
    const crashed = await runCli(['import', exportDir, '--json'], {
      cwd,
      env,
      until: 'import-after-batch',
      logLevel: 'warn',
    });
    expect(crashed.code).toBeNull(); // killed
    const mid = await readDataset(path.join(cwd, TRACKS));
    expect(mid.records.length).toBeGreaterThan(0);
    // Killed again later, between the object writes and the ledger: the outbox finishes it.
    const crashed2 = await runCli(['import', exportDir, '--json'], {
      cwd,
      until: 'after-object',
      logLevel: 'warn',
    });
    expect(crashed2.code).toBeNull();
    const rerun = await importJson(cwd, [exportDir]);
    expect(rerun.code).toBe(0);
    expect(rerun.report!.resumed).toBe(true);
    expect(rerun.report!.files[0]!.status).toBe('already_imported');
    // readDataset gunzips every object under a final name: none is partial. A write killed mid-way can
    // leave only a hidden temp file (.name.random.tmp), which readers of the lake skip.
    const all = await readDataset(path.join(cwd, TRACKS));
    expectOnce(all.records);
    expect(all.files.filter((f) => !f.endsWith('.json.gz'))).toEqual([]);
    // Same result as an import that never crashed.
    const clean = await tempDir();
    await importJson(clean, [exportDir]);
    expect(all.records.length).toBe((await readDataset(path.join(clean, TRACKS))).records.length);

    // Killed with a batch's objects flushed under hidden temp names, none published yet: the rerun
    // publishes them once and leaves no temp file behind.
    const staging = await tempDir();
    const crashed3 = await runCli(['import', exportDir, '--json'], {
      cwd: staging,
      until: 'after-stage',
      logLevel: 'warn',
    });
    expect(crashed3.code).toBeNull();
    const staged = await readDataset(path.join(staging, TRACKS));
    expect(staged.records).toEqual([]);
    expect(staged.files.filter((f) => /\/\.[^/]+\.tmp$/.test(f)).length).toBeGreaterThan(0);
    expect((await importJson(staging, [exportDir])).code).toBe(0);
    const after = await readDataset(path.join(staging, TRACKS));
    expectOnce(after.records);
    expect(after.records.length).toBe(all.records.length);
    expect(after.files.filter((f) => !f.endsWith('.json.gz'))).toEqual([]);
  });

  it('rows without a username: --user, the only account, or exit 2 asking for --user', async () => {
    const base = await tempDir();
    const dir = path.join(base, 'export');
    await generateExport(dir, { plays: 300, seed: 3, username: null, accountDataDays: 0 });
    const cwd = await tempDir();
    const ambiguous = await runCli(['import', dir], { cwd, logLevel: 'warn' });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/--user/);
    expect((await readDataset(path.join(cwd, 'data'))).files).toEqual([]);
    const ok = await importJson(cwd, [dir, '--user', 'bob']);
    expect(ok.code).toBe(0);
    const { records } = await readDataset(path.join(cwd, TRACKS));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.user_id === 'bob')).toBe(true);
  });

  describe('bad input: names the file and the problem, exits non-zero, writes nothing', () => {
    it.each([
      [
        'truncated JSON',
        'Streaming_History_Audio_2020_0.json',
        (s: string) => s.slice(0, Math.floor(s.length / 2)),
        /truncated/,
      ],
      [
        'a JSON file that is not a history',
        'Streaming_History_Audio_2020_0.json',
        () => '[{"name":"x","id":1}]',
        /not a Spotify streaming history/,
      ],
      [
        'an unknown JSON file',
        'playlists.json',
        () => '{"playlists":[]}',
        /not a JSON array|not a Spotify streaming history/,
      ],
      ['not a zip', 'export.zip', () => 'this is not a zip', /not a readable zip/],
    ])('%s', async (_label, name, content, problem) => {
      const cwd = await tempDir();
      const src = path.join(exportDir, 'Spotify Extended Streaming History');
      const original = await fs.readFile(
        path.join(
          src,
          (await fs.readdir(src)).find((f) => f.endsWith('_0.json'))!,
        ),
        'utf8',
      );
      const file = path.join(cwd, name);
      await fs.writeFile(file, content(original));
      const res = await runCli(['import', file], { cwd, logLevel: 'silent' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(file);
      expect(res.stderr).toMatch(problem);
      expect((await readDataset(path.join(cwd, 'data'))).files).toEqual([]);
    });

    it.skipIf(!hasZip)('a corrupt zip', async () => {
      const cwd = await tempDir();
      const bytes = await fs.readFile(zipPath);
      // Damage the compressed data of the first entry, leaving the directory intact.
      for (let i = 200; i < 2000; i++) bytes[i] = (bytes[i]! * 7 + 13) & 0xff;
      const file = path.join(cwd, 'my_spotify_data.zip');
      await fs.writeFile(file, bytes);
      const res = await runCli(['import', file, '--json'], { cwd, logLevel: 'silent' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(file);
      expect(res.stderr).toMatch(/corrupt|cannot be read|invalid/i);
      // Entries read before the damaged one are complete files; the damaged one wrote nothing.
      const report = JSON.parse(res.stdout) as ImportReport;
      expect(report.files.filter((f) => f.status === 'failed')).toHaveLength(1);
      const { files, records } = await readDataset(path.join(cwd, 'data'));
      expect(records.length).toBe(report.rows_written + report.episodes_written);
      expect(files.filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
    });
  });
});
