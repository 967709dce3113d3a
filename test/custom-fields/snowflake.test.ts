import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { declareLakeFields } from '../../src/custom-fields/lake-schema.js';
import { silentLogger } from '../../src/log.js';
import { buildSetupStatements } from '../../src/snowflake/ddl.js';
import { setupScript } from '../../src/snowflake/script.js';
import { loadExisting } from '../../src/snowflake/load-existing.js';
import { applySetupSql } from '../../src/snowflake/setup-steps.js';
import type { SnowflakeObjects } from '../../src/snowflake/settings.js';
import { formatStatus, gatherStatus } from '../../src/snowflake/status.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { datedLakeFiles, startFakeAccount } from '../snowflake/fake-account.js';
import type { FakeSnowflake } from '../snowflake/fake-snowflake.js';
import { FakeWorld } from '../snowflake/fake-world.js';
import { tempDir, TEST_OBJECTS } from '../snowflake/helpers.js';
import { collectorFixture, summaryOf } from '../collect/fixture.js';
import { makePlays } from '../fakes/spotify-server.js';
import { writeLake } from '../snowflake/lake-fixture.js';
import { sampleRecords } from '../helpers/records.js';

// The bucket the fake world's COPY answers name (s3://lake/...).
const objects: SnowflakeObjects = { ...TEST_OBJECTS, bucket: 'lake', roles: {} };
const DAY = 86_400_000;
const MOOD = [{ name: 'mood', type: 'string' as const }];
let fake: FakeSnowflake | undefined;
afterEach(async () => fake?.stop());

async function world(root: string) {
  const account = await startFakeAccount(root);
  fake = account.fake;
  return account;
}

describe('custom fields in Snowflake', () => {
  it('the fake models tables: CREATE keeps an existing table, ADD COLUMN IF NOT EXISTS adds once, a missing table is an error', () => {
    const w = new FakeWorld();
    w.handle('CREATE TABLE IF NOT EXISTS DB.S.T (\n  a STRING,\n  b NUMBER(38,0)\n)');
    w.handle('CREATE TABLE IF NOT EXISTS DB.S.T (\n  z STRING\n)');
    w.handle('ALTER TABLE DB.S.T ADD COLUMN IF NOT EXISTS c FLOAT');
    w.handle('ALTER TABLE DB.S.T ADD COLUMN IF NOT EXISTS c FLOAT');
    expect(w.tables.get('T')).toEqual(['A', 'B', 'C']);
    expect(w.handle('ALTER TABLE DB.S.NOPE ADD COLUMN IF NOT EXISTS c FLOAT')?.error?.code).toBe('002003');
  });

  it('`snowflake sql` declares the columns in CREATE TABLE and adds them to older tables', () => {
    const script = setupScript(objects, { customFields: [...MOOD, { name: 'weight', type: 'number' }] });
    expect(script).toMatch(
      /CREATE TABLE IF NOT EXISTS SPOTIFY\.LISTENING\.SPOTIFY_LISTENING_HISTORY \([\s\S]*mood +STRING,\n +weight +FLOAT,\n +source_file +STRING\n\)/,
    );
    expect(script).toContain(
      'ALTER TABLE SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY ADD COLUMN IF NOT EXISTS weight FLOAT;',
    );
    expect(script).toContain(
      'ALTER TABLE SPOTIFY.LISTENING.SPOTIFY_EPISODE_HISTORY ADD COLUMN IF NOT EXISTS mood STRING;',
    );
    expect(buildSetupStatements(objects).some((s) => /ADD COLUMN/.test(s.sql))).toBe(false);
  });

  it('status warns while a table lacks a lake field (its values dropped on load); setup adds it and loads keep it', async () => {
    const root = await tempDir('sf-custom');
    const now = Date.now();
    const records = sampleRecords(20, now - 30 * DAY, DAY / 2).map((r) => ({ ...r, mood: 'calm' }));
    const { store, objects: files } = await writeLake(root, records, []);
    await declareLakeFields(new LocalStateStore(root, { name: 'DATA_DIR', fix: '' }), MOOD, 'm.mjs');
    const { w, client } = await world(root);
    const rel = await datedLakeFiles(root, w, files, objects.tracksPrefix);
    for (const f of files) w.fileKeys.set(rel(f.key), Object.keys(records[0]!));
    // A table made before the field existed.
    await applySetupSql(client, objects, {}, () => {});
    expect(w.tables.get('SPOTIFY_LISTENING_HISTORY')).not.toContain('MOOD');

    const config = loadConfig({ cwd: root, env: { DATA_DIR: root, STATE_DIR: path.join(root, 'state') } });
    const before = await gatherStatus(config, client, store, objects, 7, now);
    expect(before.ok).toBe(false);
    expect(before.missing_columns.map((m) => m.table)).toEqual([
      'SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY',
      'SPOTIFY.LISTENING.SPOTIFY_EPISODE_HISTORY',
    ]);
    expect(formatStatus(before)).toMatch(
      /custom field mood \(string\), but SPOTIFY\.LISTENING\.SPOTIFY_LISTENING_HISTORY has no such column: Snowpipe drops its values/,
    );

    await loadExisting(client, store, objects, () => {}, silentLogger, now);
    const first = rel(files[0]!.key);
    expect(w.dropped.get(first)).toEqual(['mood']);

    const lines: string[] = [];
    await applySetupSql(client, objects, { customFields: MOOD }, (l) => lines.push(l));
    expect(lines).toContain('✓ column mood of SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY');
    expect(w.tables.get('SPOTIFY_LISTENING_HISTORY')).toContain('MOOD');
    expect((await gatherStatus(config, client, store, objects, 7, now)).missing_columns).toEqual([]);
    w.loaded.clear();
    await loadExisting(client, store, objects, () => {}, silentLogger, now);
    expect(w.dropped.get(first)).toEqual([]);
  });
});

describe('the fields `snowflake sql` and `snowflake setup` use', () => {
  it('setup records TRANSFORM_MODULE’s fields in the lake first; sql only reads them', async () => {
    const root = await tempDir('sf-fields');
    const module = path.join(root, 'm.mjs');
    await fs.writeFile(
      module,
      `export const fields = { mood: 'string' };\nexport function transform() { return {}; }\n`,
    );
    const env = {
      DATA_DIR: path.join(root, 'lake'),
      STATE_DIR: path.join(root, 'state'),
      TRANSFORM_MODULE: module,
    };
    const { lakeCustomFields } = await import('../../src/custom-fields/lake-custom-fields.js');
    const { readLakeFields } = await import('../../src/custom-fields/lake-schema.js');
    const lake = new LocalStateStore(env.DATA_DIR, { name: 'DATA_DIR', fix: '' });
    const config = loadConfig({ cwd: root, env });
    expect(await lakeCustomFields(config, silentLogger, { declare: false })).toEqual(MOOD);
    expect(await readLakeFields(lake)).toEqual([]);
    expect(await lakeCustomFields(config, silentLogger, { declare: true })).toEqual(MOOD);
    expect(await readLakeFields(lake)).toEqual(MOOD);
    // Without the module, the lake's fields are still the tables' columns.
    const plain = loadConfig({ cwd: root, env: { ...env, TRANSFORM_MODULE: '' } });
    expect(await lakeCustomFields(plain, silentLogger, { declare: false })).toEqual(MOOD);
  });
});

describe('`test` and reserved-word fields', () => {
  it('names the fields the tables quote (their DDL works in both engines) and how queries must write them', async () => {
    const root = await tempDir('sf-reserved');
    const module = path.join(root, 'm.mjs');
    await fs.writeFile(
      module,
      `export const fields = { order: 'integer', mood: 'string', current_date: 'date' };\nexport function transform() { return {}; }\n`,
    );
    const { transformCheck } = await import('../../src/checks/transform-check.js');
    const config = loadConfig({
      cwd: root,
      env: {
        DATA_DIR: path.join(root, 'lake'),
        STATE_DIR: path.join(root, 'state'),
        TRANSFORM_MODULE: module,
      },
    });
    const [result] = await transformCheck(config, silentLogger);
    expect(result!.ok).toBe(true);
    expect(result!.detail).toContain(
      'order, current_date are reserved words: the tables quote them (Snowflake "ORDER", "CURRENT_DATE", DuckDB "order", "current_date"), and queries must too',
    );
    // And the script those fields give is what the strict fake accepts (test/snowflake/configurations.test.ts).
    const script = setupScript(objects, { customFields: [{ name: 'order', type: 'integer' }] });
    expect(script).toContain('ADD COLUMN IF NOT EXISTS "ORDER" NUMBER(38,0);');
  });
});

describe('reserved-word fields end to end in the DuckDB warehouse', () => {
  let fx: Awaited<ReturnType<typeof collectorFixture>> | undefined;
  afterEach(async () => fx?.close());

  it('collects records with `order` and `group`, and `query` reads them as quoted columns', async () => {
    fx = await collectorFixture();
    const module = path.join(fx.cwd, 'reserved.mjs');
    await fs.writeFile(
      module,
      `export const fields = { order: 'integer', group: 'string' };\nexport function transform(r) { return { order: r.track_name.length, group: 'g' }; }\n`,
    );
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-03-10T22:30:00.000Z')));
    const run = await fx.run(['--transform', module, 'run-once', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({ plays_new: 2 });
    const query = await fx.run([
      'query',
      '--format',
      'json',
      'SELECT "order" > 0 AS has_order, "group" FROM spotify_listening_history',
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toEqual([
      { has_order: true, group: 'g' },
      { has_order: true, group: 'g' },
    ]);
  });
});
