import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/collect/run-collection.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { importRecord, newImportReport } from '../../src/import/import-report.js';
import {
  crashedRunRecord,
  noPlays,
  RUN_RECORD_VERSION,
  type AccountRecord,
  type RunOutcome,
  type RunRecord,
} from '../../src/runs/run-record.js';
import { generateExport } from '../../src/demo/generate-export.js';
import { buildEmfDocument, emitRunMetrics, RUN_METRICS, type EmfDocument } from '../../src/runs/emf.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { collectorFixture } from '../collect/fixture.js';
import { continuousFixture } from '../continuous/fixture.js';
import { makePlays } from '../fakes/spotify-server.js';
import { tempDir } from '../helpers/cli.js';
import { emfLines, emfProblems } from './emf-spec.js';

const acct = (user_id: string, outcome: RunOutcome): AccountRecord => ({
  user_id,
  outcome,
  plays_fetched: 50,
  plays_new: 7,
  plays_already_present: 43,
  plays_recovered: 0,
  plays_by_source: { ...noPlays(), recently_played: 7 },
  possible_gap: false,
  files_written: 2,
  bytes_written: 4096,
  newest_played_at: null,
});
const collection: RunRecord = {
  v: RUN_RECORD_VERSION,
  run_id: 'run-1',
  command: 'run-once',
  outcome: 'ok',
  exit_code: 0,
  started_at: '2026-11-02T10:00:00.000Z',
  finished_at: '2026-11-02T10:00:05.123Z',
  duration_ms: 5123,
  lake: 's3://lake/spotify_listening_history/',
  plays_fetched: 50,
  plays_new: 7,
  plays_already_present: 43,
  plays_skipped: 0,
  plays_recovered: 0,
  plays_by_source: { ...noPlays(), recently_played: 7 },
  files_written: 2,
  bytes_written: 4096,
  newest_played_at: null,
  accounts: [acct('alice', 'ok')],
  api: { requests: 3, retries: 1, rate_limited: 0, rate_limit_wait_ms: 0, possible_gaps: 0 },
};
/** An import's record as the import makes it (not finished yet: no end time). */
function anImport(figures: Partial<ImportReport>): RunRecord {
  return importRecord({ ...newImportReport('imp', '/lake', new Date('2026-11-02T10:00:00Z')), ...figures });
}

describe('buildEmfDocument (pure)', () => {
  const cases: { name: string; run: Parameters<typeof buildEmfDocument>[0] }[] = [
    { name: 'a one-account collection', run: collection },
    {
      name: 'a two-account collection with a failure',
      run: {
        ...collection,
        outcome: 'failed',
        accounts: [acct('alice', 'ok'), acct('bob', 'failed')],
      },
    },
    {
      name: 'an import',
      run: anImport({
        finished_at: '2026-11-02T10:00:00.000Z',
        duration_ms: 900,
        rows_read: 1000,
        rows_written: 800,
        rows_skipped: 150,
        episodes_written: 50,
        objects_written: 30,
        bytes_written: 90_000,
        users: ['alice'],
      }),
    },
    {
      name: 'a crashed tick',
      run: crashedRunRecord('x', 'run-continuous', 'boom', 1, new Date('2026-11-02T10:00:00Z')),
    },
  ];
  for (const { name, run } of cases) {
    it(`follows the specification: ${name}`, () => {
      const doc = buildEmfDocument(run, { namespace: 'SpotifyPipeline', now: () => 1_790_000_000_000.7 });
      expect(emfProblems(JSON.stringify(doc))).toEqual([]);
    });
  }

  it('Timestamp is the run’s end in milliseconds; values, units and dimensions as documented', () => {
    const doc = buildEmfDocument(collection, { namespace: 'Team/Spotify' });
    expect(doc._aws.Timestamp).toBe(Date.parse('2026-11-02T10:00:05.123Z'));
    const [directive] = doc._aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe('Team/Spotify');
    // One dimension set: each set is billed as its own custom metrics, and the Spotify user id is no dimension.
    expect(directive!.Dimensions).toEqual([['Command']]);
    expect(doc).toMatchObject({ Command: 'run-once', Account: 'alice', Outcome: 'ok', RunId: 'run-1' });
    expect(doc).toMatchObject({ PlaysNew: 7, PlaysFetched: 50, Duration: 5123, BytesWritten: 4096, Runs: 1 });
    const units = Object.fromEntries(directive!.Metrics.map((m) => [m.Name, m.Unit]));
    expect(units).toMatchObject({ Duration: 'Milliseconds', BytesWritten: 'Bytes', PlaysNew: 'Count' });
    expect(doc).toMatchObject({ RunsFailed: 0, RunsAuthRequired: 0, AccountsFailed: 0 });
  });

  it('a run over several accounts is published in total only (one value per metric name a line)', () => {
    const doc = buildEmfDocument(
      { ...collection, accounts: [...collection.accounts, acct('bob', 'auth_required')] },
      { namespace: 'N' },
    );
    expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Command']]);
    expect(doc.Account).toBeUndefined();
    expect(doc.AccountsFailed).toBe(1);
  });

  it('an import reports its plays under the collector’s names; metrics a summary lacks are left out', () => {
    const doc = buildEmfDocument(
      anImport({ rows_read: 10, rows_written: 8, rows_skipped: 2, objects_written: 3 }),
      { namespace: 'N', now: () => 1_790_000_000_000 },
    );
    expect(doc).toMatchObject({ PlaysNew: 8, PlaysSkipped: 2, FilesWritten: 3, RowsRead: 10 });
    const names = doc._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
    expect(names).not.toContain('ApiRequests');
    expect(doc.ApiRequests).toBeUndefined();
    expect(doc._aws.Timestamp).toBe(1_790_000_000_000);
  });

  it('every metric the module can emit has a unique name, a CloudWatch unit, and fits one directive', () => {
    expect(RUN_METRICS.length).toBeLessThanOrEqual(100);
    expect(new Set(RUN_METRICS.map((m) => m.name)).size).toBe(RUN_METRICS.length);
  });

  it('the spec checker itself rejects what the spec forbids', () => {
    const good = buildEmfDocument(collection, { namespace: 'N' });
    // A mutable copy: the mutations below break the document's own type on purpose.
    type Loose = Record<string, unknown> & {
      _aws: { Timestamp: unknown; CloudWatchMetrics: { Metrics: object[] }[] };
    };
    const broken = (mutate: (d: Loose) => void) => {
      const d = JSON.parse(JSON.stringify(good)) as Loose;
      mutate(d);
      return emfProblems(JSON.stringify(d));
    };
    expect(broken((d) => delete d.PlaysNew)).not.toEqual([]);
    expect(broken((d) => (d.Command = 42))).not.toEqual([]);
    expect(broken((d) => (d._aws.Timestamp = 1_790_000_000))).not.toEqual([]);
    expect(
      broken((d) => (d._aws.CloudWatchMetrics[0]!.Metrics[0] = { Name: 'Runs', Unit: 'Plays' })),
    ).not.toEqual([]);
    expect(
      broken((d) => {
        d._aws.CloudWatchMetrics[0]!.Metrics = Array.from({ length: 101 }, (_, i) => ({ Name: `M${i}` }));
        for (let i = 0; i < 101; i++) d[`M${i}`] = i;
      }),
    ).not.toEqual([]);
    expect(emfProblems(`prefix ${JSON.stringify(good)}`)).not.toEqual([]);
  });

  it('emitRunMetrics writes one line only with METRICS_FORMAT=emf', () => {
    const lines: string[] = [];
    const out = { write: (l: string) => lines.push(l) };
    emitRunMetrics({ metrics: { format: 'prometheus', namespace: 'N' } }, collection, out);
    expect(lines).toEqual([]);
    emitRunMetrics({ metrics: { format: 'emf', namespace: 'N' } }, collection, out);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(emfProblems(lines[0]!.trimEnd())).toEqual([]);
  });

  it('METRICS_FORMAT and METRICS_NAMESPACE are validated before any work', () => {
    const cwd = '/nonexistent-dir-for-config';
    expect(loadConfig({ cwd, env: {} }).metrics).toEqual({
      format: 'prometheus',
      namespace: 'SpotifyPipeline',
    });
    expect(() => loadConfig({ cwd, env: { METRICS_FORMAT: 'statsd' } })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd, env: { METRICS_NAMESPACE: 'AWS/S3' } })).toThrow(/METRICS_NAMESPACE/);
  });
});

describe('METRICS_FORMAT=emf from the CLI', () => {
  let fx: Awaited<ReturnType<typeof collectorFixture>> | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('run-once --json: stdout stays exactly one JSON object; stderr carries exactly one valid EMF line', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(6, new Date(Date.now() - 3_600_000)));
    const res = await fx.run(['run-once', '--json'], { METRICS_FORMAT: 'emf', METRICS_NAMESPACE: 'Test/NS' });
    expect(res.code, res.stderr).toBe(0);
    const out = res.stdout.trim().split('\n');
    expect(out).toHaveLength(1);
    const summary = JSON.parse(out[0]!) as RunSummary;
    expect('_aws' in summary).toBe(false);
    const lines = emfLines(res.stderr);
    expect(lines).toHaveLength(1);
    expect(emfProblems(lines[0]!)).toEqual([]);
    const doc = JSON.parse(lines[0]!) as EmfDocument;
    expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe('Test/NS');
    expect(doc).toMatchObject({
      Command: 'run-once',
      Account: 'alice',
      Outcome: 'ok',
      RunId: summary.run_id,
      PlaysNew: 6,
      FilesWritten: summary.files_written,
    });
    expect(doc._aws.Timestamp).toBe(Date.parse(summary.finished_at));
  });

  it('run-once without --json: the summary for people on stdout, the EMF line on stderr; none by default', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(2, new Date(Date.now() - 3_600_000)));
    const res = await fx.run(['run-once'], { METRICS_FORMAT: 'emf', LOG_LEVEL: 'silent' });
    expect(res.code, res.stderr).toBe(0);
    expect(emfLines(res.stdout)).toEqual([]);
    expect(res.stdout).toMatch(/2 new/);
    // LOG_LEVEL=silent silences logs, not metrics: the line is all that is on stderr.
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(emfProblems(res.stderr.trim())).toEqual([]);

    const plain = await fx.run(['run-once', '--json']);
    expect(plain.code).toBe(0);
    expect(emfLines(plain.stderr)).toEqual([]);
  });

  it('import prints one EMF line with the import’s figures', async () => {
    fx = await collectorFixture();
    const dir = path.join(await tempDir('emf-export-'), 'export');
    await generateExport(dir, { plays: 200, seed: 5, username: null, accountDataDays: 0 });
    const res = await fx.run(['import', dir, '--user', 'alice', '--json'], { METRICS_FORMAT: 'emf' });
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as ImportReport;
    const lines = emfLines(res.stderr);
    expect(lines).toHaveLength(1);
    expect(emfProblems(lines[0]!)).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      Command: 'import',
      Account: 'alice',
      PlaysNew: report.rows_written,
      EpisodesNew: report.episodes_written,
      RowsRead: report.rows_read,
    });
  });

  it('run-continuous prints one EMF line per cycle', async () => {
    const cfx = await continuousFixture();
    try {
      cfx.spotify.addPlays('alice', makePlays(3, new Date(Date.now() - 3_600_000)));
      const run = cfx.start(['--interval', '1s'], { METRICS_FORMAT: 'emf' });
      await run.collections(2);
      const result = await run.stop();
      expect(result.code, result.stderr).toBe(0);
      const lines = emfLines(result.stderr);
      expect(lines).toHaveLength(run.finishedCollections().length);
      for (const line of lines) expect(emfProblems(line)).toEqual([]);
      const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(docs.every((d) => d.Command === 'run-continuous')).toBe(true);
      expect(docs.map((d) => d.PlaysNew)).toEqual(run.finishedCollections().map((l) => l.new));
      // stdout stays empty: run-continuous prints nothing there.
      expect(result.stdout).toBe('');
    } finally {
      await cfx.close();
    }
  });
});
