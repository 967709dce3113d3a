import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkExtras, parseDeclaration, type CustomField } from '../../src/custom-fields/field-rules.js';
import { generateExport } from '../../src/demo/generate-export.js';
import { EPISODE_KEYS } from '../../src/record/episode-schema.js';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { PROJECT_ROOT, runCli, tempDir } from '../helpers/cli.js';
import { playIdentity, readDataset } from '../helpers/lake.js';

const EXAMPLES = path.join(PROJECT_ROOT, 'examples');
let exportDir: string;

beforeAll(async () => {
  exportDir = path.join(await tempDir('custom-import-'), 'export');
  await generateExport(exportDir, { plays: 600, seed: 3, rowsPerFile: 300, accountDataDays: 5 });
});

describe('custom fields in imported records', () => {
  it('gives tracks and episodes the fields, after the core keys; a rerun writes nothing twice', async () => {
    const cwd = await tempDir('custom-import-run-');
    const env = { TRANSFORM_MODULE: path.join(EXAMPLES, 'tags.mjs') };
    const first = await runCli(['import', exportDir, '--json'], { cwd, env, logLevel: 'warn' });
    expect(first.code, first.stderr).toBe(0);
    const tracks = await readDataset(path.join(cwd, 'data', 'spotify_listening_history'));
    const episodes = await readDataset(path.join(cwd, 'data', 'spotify_episode_history'));
    expect(tracks.records.length).toBeGreaterThan(300);
    expect(episodes.records.length).toBeGreaterThan(0);
    for (const r of tracks.records)
      expect(Object.keys(r)).toEqual([...RECORD_KEYS, 'mood', 'completion', 'tags']);
    for (const r of episodes.records) {
      expect(Object.keys(r)).toEqual([...EPISODE_KEYS, 'mood', 'completion', 'tags']);
      expect(r.tags).toEqual(['podcast']);
    }
    // Without --enrich the export has no track length: the module's completion is null, as it says.
    expect(tracks.records.every((r) => r.completion === null && Array.isArray(r.tags))).toBe(true);

    // A fresh state onto the same lake: the lake is the truth, nothing is written again.
    const again = await runCli(
      ['import', exportDir, '--json', '--state-dir', path.join(cwd, 'other-state')],
      { cwd, env, logLevel: 'warn' },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows_written: 0, episodes_written: 0 });
    const ids = (await readDataset(path.join(cwd, 'data', 'spotify_listening_history'))).records.map(
      playIdentity,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stops a throwing module before anything is written (exit 2), and the rerun imports everything', async () => {
    const cwd = await tempDir('custom-import-fail-');
    const bad = path.join(cwd, 'bad.mjs');
    await (
      await import('node:fs')
    ).promises.writeFile(
      bad,
      `export const fields = { n: 'integer' };\nexport function transform(r) { if (r.track_name?.length > 3) throw new RangeError('too long'); return { n: 1 }; }\n`,
    );
    const run = await runCli(['import', exportDir, '--json'], {
      cwd,
      env: { TRANSFORM_MODULE: bad },
      logLevel: 'warn',
    });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatch(/bad\.mjs, for the play of .* threw RangeError: too long/);
    expect((await readDataset(path.join(cwd, 'data', 'spotify_listening_history'))).records).toHaveLength(0);
    const rerun = await runCli(['import', exportDir, '--json'], { cwd, logLevel: 'warn' });
    expect(rerun.code, rerun.stderr).toBe(0);
    const records = (await readDataset(path.join(cwd, 'data', 'spotify_listening_history'))).records;
    expect(records.length).toBeGreaterThan(300);
    expect(records.every((r) => r.n === null)).toBe(true);
  });

  it('the examples declare valid fields and return values their declarations allow', async () => {
    const record = {
      played_at: '2024-03-10T22:30:00.000Z',
      track_name: 'x',
      primary_artist_name: 'ABBA',
      ms_played: 120_000,
      track_duration_ms: 240_000,
      skipped: false,
    };
    for (const name of ['local-time.mjs', 'tags.mjs']) {
      const mod = (await import(path.join(EXAMPLES, name))) as {
        fields: unknown;
        transform: (r: object, c: object) => unknown;
      };
      const fields = parseDeclaration(mod.fields) as CustomField[];
      expect(Array.isArray(fields), name).toBe(true);
      const out = checkExtras(mod.transform(record, { kind: 'track', timeZone: 'Europe/Berlin' }), fields);
      expect(out, name).toHaveProperty('values');
    }
    const local = await import(path.join(EXAMPLES, 'local-time.mjs'));
    expect(local.transform(record, { timeZone: 'Europe/Berlin' })).toEqual({
      local_date: '2024-03-10',
      local_hour: 23,
      local_weekday: 'Sunday',
    });
  });
});
