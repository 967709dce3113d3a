import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_KEYS } from '../../src/record/schema.js';
import { makePlays } from '../fakes/spotify-server.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { collectorFixture, summaryOf } from '../collector/fixture.js';

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
      "SELECT local_hour, local_weekday, typeof(local_date) AS t FROM spotify_listening_history ORDER BY played_at LIMIT 1",
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toContain('"t":"DATE"');
  });
});
