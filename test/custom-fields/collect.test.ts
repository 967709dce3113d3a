import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { makePlays } from '../fakes/spotify-server.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { collectorFixture, summaryOf } from '../collect/fixture.js';

let fx: Awaited<ReturnType<typeof collectorFixture>>;
afterEach(async () => fx?.close());

const LOCAL_TIME = path.join(PROJECT_ROOT, 'examples', 'local-time.mjs');

async function writeModule(dir: string, name: string, source: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, source);
  return file;
}

describe('custom fields in collected records', () => {
  it('adds the declared fields after the core keys, records them in the lake, and shows them in the warehouse', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-03-10T22:30:00.000Z')));
    const run = await fx.run(['--transform', LOCAL_TIME, 'run-once', '--json'], {
      TRANSFORM_TIMEZONE: 'Europe/Berlin',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({ plays_new: 3 });
    const records = (await fx.lake()).flatMap((f) => f.records);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(Object.keys(r)).toEqual([...RECORD_KEYS, 'local_date', 'local_hour', 'local_weekday']);
      const berlin = new Date(Date.parse(String(r.played_at)) + 3_600_000); // CET in March
      expect(r.local_hour).toBe(berlin.getUTCHours());
      expect(r.local_date).toBe(berlin.toISOString().slice(0, 10));
    }
    const schema = JSON.parse(await fs.readFile(path.join(fx.dataDir, '_pipeline', 'schema.json'), 'utf8'));
    expect(schema.custom_fields.map((f: { name: string; type: string }) => [f.name, f.type])).toEqual([
      ['local_date', 'date'],
      ['local_hour', 'integer'],
      ['local_weekday', 'string'],
    ]);

    const query = await fx.run([
      'query',
      '--format',
      'json',
      'SELECT local_hour, local_weekday, typeof(local_date) AS t FROM spotify_listening_history ORDER BY played_at LIMIT 1',
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toContain('"t":"DATE"');
  });

  it('brings the warehouse forward when a field is added later: old files keep their shape, old rows read NULL', async () => {
    fx = await collectorFixture();
    const v1 = await writeModule(
      fx.cwd,
      'v1.mjs',
      `export const fields = { mood: 'string' };
export function transform(r) { return { mood: r.track_name.length > 7 ? 'long' : 'short' }; }`,
    );
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-03-10T10:00:00.000Z')));
    expect((await fx.run(['--transform', v1, 'run-once'])).code).toBe(0);
    expect((await fx.run(['query', 'SELECT count(*) FROM spotify_listening_history'])).code).toBe(0);

    const v2 = await writeModule(
      fx.cwd,
      'v2.mjs',
      `export const fields = { mood: 'string', weight: 'number' };
export function transform(r) { return { mood: 'x', weight: 0.5 }; }`,
    );
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-03-11T10:00:00.000Z'), { firstTrack: 50 }));
    const second = await fx.run(['--transform', v2, 'run-once', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second)).toMatchObject({ plays_new: 2 });

    const files = await fx.lake();
    const shapes = new Set(files.map((f) => Object.keys(f.records[0]!).slice(RECORD_KEYS.length).join(',')));
    expect(shapes).toEqual(new Set(['mood', 'mood,weight']));

    // Without the module, records still carry every field the lake declared (null), in the lake's order.
    fx.spotify.addPlays('alice', makePlays(1, new Date('2024-03-12T10:00:00.000Z'), { firstTrack: 80 }));
    expect((await fx.run(['run-once'])).code).toBe(0);
    const newest = (await fx.lake())
      .flatMap((f) => f.records)
      .find((r) => r.played_at_date === '2024-03-12')!;
    expect(Object.keys(newest).slice(RECORD_KEYS.length)).toEqual(['mood', 'weight']);
    expect([newest.mood, newest.weight]).toEqual([null, null]);

    const query = await fx.run([
      'query',
      '--format',
      'json',
      'SELECT played_at_date::VARCHAR AS d, mood, weight FROM spotify_listening_history ORDER BY played_at',
    ]);
    expect(query.code, query.stderr).toBe(0);
    const rows = JSON.parse(query.stdout) as { d: string; mood: string | null; weight: number | null }[];
    expect(rows.map((r) => r.weight)).toEqual([null, null, 0.5, 0.5, null]);
    expect(rows.filter((r) => r.mood !== null)).toHaveLength(4);
  });

  it.each([
    [
      'throws',
      `export const fields = { a: 'string' }; export function transform() { throw new Error('boom'); }`,
      /threw Error: boom/,
    ],
    [
      'hangs',
      `export const fields = { a: 'string' }; export function transform() { for (;;) {} }`,
      /did not answer within 2 s/,
    ],
    [
      'is not deterministic',
      `export const fields = { a: 'number' }; export function transform() { return { a: Math.random() }; }`,
      /is not deterministic/,
    ],
    [
      'returns a core key',
      `export const fields = { a: 'string' }; export function transform() { return { track_name: 'x' }; }`,
      /core key "track_name"/,
    ],
    [
      'declares a camelCase name',
      `export const fields = { moodScore: 'number' }; export function transform() { return {}; }`,
      /not lower snake_case.*"mood_score"/,
    ],
  ])(
    'stops cleanly when the module %s: exit 2 naming it, nothing written, the next run retries',
    async (what, source, message) => {
      fx = await collectorFixture();
      const bad = await writeModule(fx.cwd, 'bad.mjs', source);
      fx.spotify.addPlays('alice', makePlays(2, new Date('2024-03-10T10:00:00.000Z')));
      const run = await fx.run(['--transform', bad, 'run-once', '--json'], {
        TRANSFORM_TIMEOUT_SECONDS: what === 'hangs' ? '2' : '30',
      });
      expect(run.code).toBe(2);
      const output = (run.stdout + run.stderr).replaceAll('\\"', '"'); // messages quoted inside JSON
      expect(output).toMatch(message);
      expect(output).toContain('bad.mjs');
      expect(await fx.lake()).toHaveLength(0);
      const fixed = await fx.run(['run-once', '--json']);
      expect(fixed.code, fixed.stderr).toBe(0);
      expect(summaryOf(fixed)).toMatchObject({ plays_new: 2 });
    },
  );

  it('refuses a field whose type changed from the one the lake holds', async () => {
    fx = await collectorFixture();
    const v1 = await writeModule(
      fx.cwd,
      'v1.mjs',
      `export const fields = { score: 'integer' }; export function transform() { return { score: 1 }; }`,
    );
    const v2 = await writeModule(
      fx.cwd,
      'v2.mjs',
      `export const fields = { score: 'string' }; export function transform() { return { score: '1' }; }`,
    );
    fx.spotify.addPlays('alice', makePlays(1, new Date('2024-03-10T10:00:00.000Z')));
    expect((await fx.run(['--transform', v1, 'run-once'])).code).toBe(0);
    fx.spotify.addPlays('alice', makePlays(1, new Date('2024-03-11T10:00:00.000Z'), { firstTrack: 9 }));
    const run = await fx.run(['--transform', v2, 'run-once']);
    expect(run.code).toBe(2);
    expect(run.stderr.replaceAll('\\"', '"')).toMatch(
      /"score" is declared "string", but the lake's records already carry it as "integer"/,
    );
  });

  it('`test` loads the module and names its fields, or the problem', async () => {
    fx = await collectorFixture();
    const ok = await fx.run(['--transform', LOCAL_TIME, 'test', '--json']);
    const checks = (JSON.parse(ok.stdout) as { checks: { name: string; ok: boolean; detail: string }[] })
      .checks;
    expect(checks.find((c) => c.name.startsWith('transform module'))).toMatchObject({
      ok: true,
      detail: 'records carry local_date (date), local_hour (integer), local_weekday (string)',
    });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await writeModule(
      fx.cwd,
      'bad.mjs',
      `export const fields = { Mood: 'string' }; export function transform() {}`,
    );
    const failed = await fx.run(['--transform', bad, 'test', '--json']);
    expect(failed.code).toBe(1);
    const check = (
      JSON.parse(failed.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }
    ).checks.find((c) => c.name.startsWith('transform module'));
    expect(check).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/"Mood" is not lower snake_case/),
    });
  });
});
