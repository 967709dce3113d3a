import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { playIdentity, readDataset } from '../helpers/lake.js';

const TRACKS = 'spotify_listening_history';
const EPISODES = 'spotify_episode_history';
let exportDir: string;

beforeAll(async () => {
  exportDir = path.join(await tempDir('lake-truth-'), 'export');
  await generateExport(exportDir, { plays: 2000, seed: 11, rowsPerFile: 700, accountDataDays: 15 });
});

async function importInto(cwd: string, env: Record<string, string>, args: string[] = []) {
  const res = await runCli(['import', exportDir, '--json', ...args], { cwd, env, logLevel: 'warn' });
  return { ...res, report: res.stdout ? (JSON.parse(res.stdout) as ImportReport) : undefined };
}

function once(records: Record<string, unknown>[]) {
  const ids = records.map(playIdentity);
  return new Set(ids).size === ids.length;
}

describe('the lake is the source of truth', () => {
  it('a re-import with a new, empty state onto the same lake writes nothing twice', async () => {
    const cwd = await tempDir();
    const lake = path.join(cwd, 'lake');
    const first = await importInto(cwd, { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'state-a') });
    expect(first.code, first.stderr).toBe(0);
    expect(first.report!.rows_written).toBeGreaterThan(1000);
    const before = await readDataset(path.join(lake, TRACKS));
    const episodesBefore = await readDataset(path.join(lake, EPISODES));

    // The state is lost (a container without a volume, a new laptop): a second, empty one on the same lake.
    const second = await importInto(cwd, { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'state-b') });
    expect(second.code, second.stderr).toBe(0);
    expect(second.report!.rows_written).toBe(0);
    expect(second.report!.episodes_written).toBe(0);
    expect(second.report!.plays_already_present).toBeGreaterThan(1000);
    const after = await readDataset(path.join(lake, TRACKS));
    expect(after.files).toEqual(before.files);
    expect((await readDataset(path.join(lake, EPISODES))).files).toEqual(episodesBefore.files);
    expect(once(after.records)).toBe(true);
  });

  it('the first state, used again after a second one wrote, learns what the second wrote', async () => {
    const cwd = await tempDir();
    const lake = path.join(cwd, 'lake');
    const a = { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'state-a') };
    const b = { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'state-b') };
    // A imports the first half of the files, B the whole export, then A the whole export again.
    const ext = path.join(exportDir, 'Spotify Extended Streaming History');
    const [firstFile] = (await fs.readdir(ext)).filter((f) => f.endsWith('.json')).sort();
    expect(
      (await runCli(['import', path.join(ext, firstFile!)], { cwd, env: a, logLevel: 'warn' })).code,
    ).toBe(0);
    const byB = await importInto(cwd, b);
    expect(byB.code, byB.stderr).toBe(0);
    expect(byB.report!.rows_written).toBeGreaterThan(0);
    const byA = await importInto(cwd, a);
    expect(byA.code, byA.stderr).toBe(0);
    expect(byA.report!.rows_written).toBe(0);
    expect(once((await readDataset(path.join(lake, TRACKS))).records)).toBe(true);
  });
});

describe('one writer per lake (the lease)', () => {
  it('a second writer with another state refuses while the lease is held, naming the holder', async () => {
    const cwd = await tempDir();
    const lake = path.join(cwd, 'lake');
    await fs.mkdir(path.join(lake, '_pipeline'), { recursive: true });
    // A live holder elsewhere: another host, its lease valid for a minute.
    const holder = {
      v: 1,
      fence: 4,
      holder: {
        id: 'x',
        state: 'other-state',
        state_location: '/srv/other/.pipeline',
        host: 'worker-7',
        pid: 4242,
        command: 'import',
        acquired_at: new Date().toISOString(),
      },
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      released_at: null,
      previous: null,
    };
    await fs.writeFile(path.join(lake, '_pipeline', 'lease.json'), JSON.stringify(holder));
    const refused = await runCli(['import', exportDir], { cwd, env: { DATA_DIR: lake }, logLevel: 'warn' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /Another spotify-pipeline is writing to the lake .*`import` \(PID 4242 on worker-7/,
    );
    expect(refused.stderr).toMatch(/expires at .* \(in \d+ s\)/);
    expect(await readDataset(path.join(lake, TRACKS))).toEqual({ files: [], records: [] });

    // Its holder was killed: once the lease expires the next run takes it over (waiting for it here).
    holder.expires_at = new Date(Date.now() + 1500).toISOString();
    await fs.writeFile(path.join(lake, '_pipeline', 'lease.json'), JSON.stringify(holder));
    const taken = await runCli(['import', exportDir, '--json'], {
      cwd,
      env: {
        DATA_DIR: lake,
        LEASE_WAIT_SECONDS: '20',
      },
      logLevel: 'warn',
    });
    expect(taken.code, taken.stderr).toBe(0);
    expect((JSON.parse(taken.stdout) as ImportReport).rows_written).toBeGreaterThan(1000);
    const lease = JSON.parse(await fs.readFile(path.join(lake, '_pipeline', 'lease.json'), 'utf8'));
    expect(lease).toMatchObject({ fence: 5, previous: { state: 'other-state', fence: 4 } });
    expect(lease.released_at).not.toBeNull();
    expect(lease.holder.host).toBe(hostname());
  });

  it('two imports started at once onto one lake, each with its own state: one writes, nothing twice', async () => {
    const cwd = await tempDir();
    const lake = path.join(cwd, 'lake');
    const [x, y] = await Promise.all([
      importInto(cwd, { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'sx') }),
      importInto(cwd, { DATA_DIR: lake, STATE_DIR: path.join(cwd, 'sy') }),
    ]);
    const results = [x, y];
    const ok = results.filter((r) => r.code === 0);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((r) => r.code !== 0)) {
      expect(r.stderr).toMatch(/Another spotify-pipeline is writing to the lake/);
    }
    const records = (await readDataset(path.join(lake, TRACKS))).records;
    expect(records.length).toBe(Math.max(...ok.map((r) => r.report!.rows_written)));
    expect(once(records)).toBe(true);
  });
});
