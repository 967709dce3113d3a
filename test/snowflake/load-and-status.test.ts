import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { loadExisting } from '../../src/snowflake/load-existing.js';
import { describeTrust } from '../../src/snowflake/setup-steps.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { gatherStatus, formatStatus, reconcile } from '../../src/snowflake/status.js';
import type { FakeSnowflake } from './fake-snowflake.js';
import { datedLakeFiles, startFakeAccount } from './fake-account.js';
import { FakeWorld } from './fake-world.js';
import { tempDir } from './helpers.js';
import { writeLake } from './lake-fixture.js';
import { sampleRecords } from '../helpers/records.js';

const objects: SnowflakeObjects = {
  database: 'SPOTIFY',
  schema: 'LISTENING',
  integration: 'SPOTIFY_LAKE_INTEGRATION',
  awsRoleArn: 'arn:aws:iam::123456789012:role/r',
  bucket: 'lake',
  tracksPrefix: 'spotify_listening_history/',
  episodesPrefix: 'spotify_episode_history/',
  mode: 'auto',
  roles: {},
};
const DAY = 86_400_000;
const fakes: FakeSnowflake[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.stop();
});

async function world(root: string) {
  const account = await startFakeAccount(root);
  fakes.push(account.fake);
  return account;
}

describe('--load-existing', () => {
  it('REFRESH for files of the last 7 days, COPY by name for older ones, skipping what is loaded, twice without loading again', async () => {
    const root = await tempDir('load');
    const now = Date.now();
    // Four weeks of plays: one file per UTC day.
    const { objects: files, store } = await writeLake(
      root,
      sampleRecords(60, now - 28 * DAY, 11 * 3_600_000),
      [],
    );
    const { w, client } = await world(root);
    const rel = await datedLakeFiles(root, w, files, objects.tracksPrefix);
    const oldFiles = files.filter((f) => Date.parse(`${f.date}T12:00:00Z`) < now - 7 * DAY + 3_600_000);
    // One old file is already in the table (loaded by the pipe when it was new).
    w.loaded.set(rel(oldFiles[0]!.key), { date: oldFiles[0]!.date, rows: oldFiles[0]!.records });

    const lines: string[] = [];
    const first = await loadExisting(client, store, objects, (l) => lines.push(l), silentLogger, now);
    expect(first.files_in_lake).toBe(files.length);
    expect(first.already_loaded).toBe(1);
    expect(first.copied).toBe(oldFiles.length - 1);
    expect(first.refreshed).toBe(files.length - oldFiles.length);
    expect(w.copies.flat().sort()).toEqual(
      oldFiles
        .slice(1)
        .map((f) => rel(f.key))
        .sort(),
    );
    expect(w.copies.flat()).not.toContain(rel(oldFiles[0]!.key));
    expect(w.refreshes).toHaveLength(1);
    expect(w.refreshes[0]).toMatch(
      /ALTER PIPE SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE REFRESH MODIFIED_AFTER = '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00'$/,
    );
    const after = Date.parse(/'(.*)'/.exec(w.refreshes[0]!)![1]!);
    expect(now - after).toBeLessThan(7 * DAY);

    // Run again: every old file is now in the table, nothing is copied twice.
    const copiesBefore = w.copies.flat().length;
    const second = await loadExisting(client, store, objects, () => {}, silentLogger, now);
    expect(second.copied).toBe(0);
    expect(w.copies.flat().length).toBe(copiesBefore);
    expect(second.already_loaded).toBe(oldFiles.length);
  });
});

describe('IAM policies printed by setup', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/r', 'aws'],
    ['arn:aws-us-gov:iam::123456789012:role/r', 'aws-us-gov'],
    ['arn:aws-cn:iam::123456789012:role/r', 'aws-cn'],
  ])('for %s the S3 resources are in partition %s', async (arn, partition) => {
    const root = await tempDir('trust');
    const { client } = await world(root);
    const trust = await describeTrust(client, { ...objects, awsRoleArn: arn });
    const policy = trust.permissionsPolicy as { Statement: { Resource: string | string[] }[] };
    const resources = policy.Statement.flatMap((s) => [s.Resource].flat());
    expect(resources).toEqual([
      `arn:${partition}:s3:::lake/spotify_listening_history/*`,
      `arn:${partition}:s3:::lake/spotify_episode_history/*`,
      `arn:${partition}:s3:::lake`,
    ]);
  });
});

describe('--load-existing with a bad file', () => {
  it('the bad file is skipped and reported (ON_ERROR = SKIP_FILE), every other file loads, a second run copies only it', async () => {
    const root = await tempDir('load-bad');
    const now = Date.now();
    const { objects: files, store } = await writeLake(root, sampleRecords(40, now - 40 * DAY, DAY), []);
    const { w, client } = await world(root);
    const rel = await datedLakeFiles(root, w, files, objects.tracksPrefix);
    const old = files.filter((f) => Date.parse(`${f.date}T12:00:00Z`) < now - 7 * DAY + 3_600_000);
    const bad = old[3]!;
    w.bad.set(rel(bad.key), 'incomplete object value');

    const lines: string[] = [];
    const summary = await loadExisting(client, store, objects, (l) => lines.push(l), silentLogger, now);
    expect(summary.copy_errors).toEqual([{ file: bad.key, error: 'incomplete object value (line 2)' }]);
    expect(summary.copied).toBe(old.length - 1);
    expect(summary.rows_copied).toBe(old.filter((f) => f !== bad).reduce((n, f) => n + f.records, 0));
    expect(w.loaded.has(rel(bad.key))).toBe(false);
    expect(lines.join('\n')).toMatch(
      new RegExp(`✗ ${old.length - 1} older file\\(s\\) copied into SPOTIFY_LISTENING_HISTORY, 1 skipped`),
    );

    const second = await loadExisting(client, store, objects, () => {}, silentLogger, now);
    expect(w.copies.at(-1)).toEqual([rel(bad.key)]);
    expect(second.copy_errors).toHaveLength(1);
    expect(second.copied).toBe(0);
  });
});

describe('--load-existing after the pipe was re-created', () => {
  it('files from before the new pipe are copied by name, not refreshed (its load history is empty)', async () => {
    const root = await tempDir('load-recreated');
    const now = Date.now();
    const { objects: files, store } = await writeLake(
      root,
      sampleRecords(30, now - 6 * DAY, 4 * 3_600_000),
      [],
    );
    const { w, client } = await world(root);
    const created = now - 2 * DAY;
    w.pipeCreatedOn = (created / 1000).toFixed(9);
    for (const f of files) {
      const t = new Date(Date.parse(`${f.date}T12:00:00Z`));
      await fs.utimes(path.join(root, f.key), t, t);
    }
    const beforePipe = files.filter((f) => Date.parse(`${f.date}T12:00:00Z`) < created);
    const summary = await loadExisting(client, store, objects, () => {}, silentLogger, now);
    expect(beforePipe.length).toBeGreaterThan(0);
    expect(summary.copied).toBe(beforePipe.length);
    expect(summary.refreshed).toBe(files.length - beforePipe.length);
    expect(Date.parse(/'(.*)'/.exec(w.refreshes[0]!)![1]!)).toBe(created);
  });
});

describe('status', () => {
  it('reconciles plays per day and names missing, failed and pending files', async () => {
    const root = await tempDir('status');
    const now = Date.now();
    const { objects: files, store } = await writeLake(
      root,
      sampleRecords(40, now - 5 * DAY, 3 * 3_600_000),
      [],
    );
    const { w, client } = await world(root);
    const rel = (k: string) => k.slice(objects.tracksPrefix.length);
    const sorted = [...files].sort((a, b) => a.date.localeCompare(b.date));
    const [missing, failed, ...rest] = sorted;
    const pending = rest.pop()!;
    for (const f of sorted) {
      const t = f === pending ? new Date(now - 60_000) : new Date(now - 3 * 3_600_000);
      await fs.utimes(path.join(root, f.key), t, t);
    }
    for (const f of rest) w.loaded.set(rel(f.key), { date: f.date, rows: f.records });
    w.failed.set(rel(failed!.key), "Timestamp '2024-13-01' is not recognized");
    const config = loadConfig({ cwd: root, env: { STATE_DIR: path.join(root, 'state') } });
    const report = await gatherStatus(config, client, store, objects, 7, now);
    expect(report.ok).toBe(false);
    const states = new Map(report.reconciliation.flatMap((d) => d.files.map((f) => [f.key, f.state])));
    expect(states.get(missing!.key)).toBe('missing');
    expect(states.get(failed!.key)).toBe('failed');
    expect(states.get(pending.key)).toBe('pending');
    for (const f of rest) expect(states.get(f.key)).toBe('loaded');
    expect(report.totals.lake_plays).toBe(40);
    expect(report.totals.table_rows).toBe(rest.reduce((s, f) => s + f.records, 0));
    expect(report.pipes[0]).toMatchObject({ executionState: 'RUNNING', pendingFileCount: 0 });
    const text = formatStatus(report);
    expect(text).toContain(`missing: ${missing!.key}`);
    expect(text).toContain(`failed: ${failed!.key}`);
    expect(text).toContain('is not recognized');
    expect(text).toMatch(/NOT OK/);
  });

  it('REST mode: insertReport and the local insertFiles queue are part of the report', async () => {
    const root = await tempDir('status-rest');
    const now = Date.now();
    const { store } = await writeLake(root, sampleRecords(5, now - DAY, 3_600_000), []);
    const { fake, client } = await world(root);
    fake.insertReport = {
      completeResult: true,
      files: [
        {
          path: '2026/11/23/spotify_tracks_x.json.gz',
          status: 'LOADED',
          rowsInserted: 5,
          rowsParsed: 5,
          complete: true,
        },
      ],
    };
    const state = path.join(root, 'state');
    await fs.mkdir(path.join(state, 'snowflake'), { recursive: true });
    await fs.writeFile(
      path.join(state, 'snowflake', 'snowpipe-pending.json'),
      JSON.stringify({ v: 1, files: [{ pipe: 'P', path: 'a.json.gz', key: 'k' }] }),
    );
    const config = loadConfig({ cwd: root, env: { STATE_DIR: state } });
    const report = await gatherStatus(config, client, store, { ...objects, mode: 'rest' }, 3, now);
    expect(report.insert_report?.files[0]).toMatchObject({ status: 'LOADED', rowsInserted: 5 });
    expect(
      fake.requests.some((r) =>
        r.path.startsWith('/v1/data/pipes/SPOTIFY.LISTENING.SPOTIFY_TRACKS_PIPE/insertReport'),
      ),
    ).toBe(true);
    expect(report.rest_queue).toBe(1);
    expect(report.ok).toBe(false);
    expect(formatStatus(report)).toMatch(/1 file\(s\) waiting in the local insertFiles queue/);
  });

  async function allLoaded(name: string) {
    const root = await tempDir(name);
    const now = Date.now();
    const { objects: files, store } = await writeLake(root, sampleRecords(6, now - 2 * DAY, 3_600_000), []);
    const { w, client } = await world(root);
    for (const f of files) {
      const t = new Date(now - 3 * 3_600_000);
      await fs.utimes(path.join(root, f.key), t, t);
      w.loaded.set(f.key.slice(objects.tracksPrefix.length), { date: f.date, rows: f.records });
    }
    const config = loadConfig({ cwd: root, env: { STATE_DIR: path.join(root, 'state') } });
    return { w, run: () => gatherStatus(config, client, store, objects, 3, now) };
  }

  it('shows the documented error and fault of SYSTEM$PIPE_STATUS with their timestamps', async () => {
    const { w, run } = await allLoaded('status-error');
    w.pipeError = {
      error: "Table 'SPOTIFY_LISTENING_HISTORY' does not exist or not authorized.",
      at: '2026-11-24T04:00:00.000Z',
    };
    w.pipeFault = { fault: 'Internal error: 12345', at: '2026-11-24T04:05:00.000Z' };
    w.pipeState = 'STALLED_COMPILATION_ERROR';
    const report = await run();
    expect(report.pipes[0]).toMatchObject({
      executionState: 'STALLED_COMPILATION_ERROR',
      error: "Table 'SPOTIFY_LISTENING_HISTORY' does not exist or not authorized.",
      lastPipeErrorTimestamp: '2026-11-24T04:00:00.000Z',
      fault: 'Internal error: 12345',
      lastPipeFaultTimestamp: '2026-11-24T04:05:00.000Z',
    });
    const text = formatStatus(report);
    expect(text).toContain(
      "error (2026-11-24T04:00:00.000Z): Table 'SPOTIFY_LISTENING_HISTORY' does not exist or not authorized.",
    );
    expect(text).toContain('fault (2026-11-24T04:05:00.000Z): Internal error: 12345');
  });

  it('RUNNING with every file loaded is OK', async () => {
    const { run } = await allLoaded('status-running');
    const report = await run();
    expect(report.ok).toBe(true);
    expect(formatStatus(report)).toMatch(/✓ pipe SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE: RUNNING/);
  });

  it.each<[string, (w: FakeWorld) => void, RegExp]>([
    [
      'STOPPED_STAGE_DROPPED',
      (w) => (w.pipeState = 'STOPPED_STAGE_DROPPED'),
      /STOPPED_STAGE_DROPPED[\s\S]*its stage was dropped/,
    ],
    ['STOPPED_MISSING_TABLE', (w) => (w.pipeState = 'STOPPED_MISSING_TABLE'), /its table was dropped/],
    [
      'STALLED_EXECUTION_ERROR',
      (w) => (w.pipeState = 'STALLED_EXECUTION_ERROR'),
      /STALLED_EXECUTION_ERROR[\s\S]*stalled: loading fails/,
    ],
    [
      'STALLED_STAGE_PERMISSION_ERROR',
      (w) => (w.pipeState = 'STALLED_STAGE_PERMISSION_ERROR'),
      /IAM role's trust/,
    ],
    ['PAUSED', (w) => (w.pipeState = 'PAUSED'), /PIPE_EXECUTION_PAUSED = FALSE/],
    [
      'an undocumented STOPPED_ state',
      (w) => (w.pipeState = 'STOPPED_SOMETHING_NEW'),
      /stopped \(STOPPED_SOMETHING_NEW\)/,
    ],
    ['a NULL answer', (w) => (w.pipeStatusAnswer = null), /unknown[\s\S]*gave no executionState/],
    [
      'an unreadable answer',
      (w) => (w.pipeStatusAnswer = 'not json'),
      /gave no executionState[\s\S]*unreadable SYSTEM\$PIPE_STATUS answer: not json/,
    ],
    [
      'JSON without executionState',
      (w) => (w.pipeStatusAnswer = '{"pendingFileCount":0}'),
      /gave no executionState/,
    ],
  ])('%s: NOT OK, the state named', async (_, set, shown) => {
    const { w, run } = await allLoaded('status-state');
    set(w);
    const report = await run();
    expect(report.reconciliation.every((d) => d.ok)).toBe(true);
    expect(report.ok).toBe(false);
    const text = formatStatus(report);
    expect(text).toMatch(/✗ pipe SPOTIFY\.LISTENING\.SPOTIFY_TRACKS_PIPE/);
    expect(text).toMatch(shown);
    expect(text).toMatch(/NOT OK/);
    expect(text).toMatch(/2 pipe\(s\) not running/);
  });

  it('all files loaded: every day matches', () => {
    const lake = [
      { key: 'p/2024/01/01/a.json.gz', date: '2024-01-01', plays: 3 },
      { key: 'p/2024/01/02/b.json.gz', date: '2024-01-02', plays: 2 },
    ];
    const table = [
      { date: '2024-01-01', key: 'p/2024/01/01/a.json.gz', rows: 3 },
      { date: '2024-01-02', key: 'p/2024/01/02/b.json.gz', rows: 2 },
    ];
    const days = reconcile(lake, table, [], Date.now());
    expect(days.every((d) => d.ok)).toBe(true);
    // A file loaded twice would show more rows than plays.
    const twice = reconcile(
      lake,
      [...table, { date: '2024-01-02', key: 'p/2024/01/02/b.json.gz', rows: 2 }],
      [],
      Date.now(),
    );
    const day2 = twice.find((d) => d.date === '2024-01-02')!;
    expect(day2.ok).toBe(false);
    expect(day2.files[0]!.state).toBe('duplicated');
  });
});
