import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { playIdentity, readDataset } from '../helpers/lake.js';

const DATASETS = ['data/spotify_listening_history', 'data/spotify_episode_history'];
let exportDir: string;
/** Records per dataset of an import that never crashed. */
let expected: number[];

beforeAll(async () => {
  const base = await tempDir('orphan-export-');
  exportDir = path.join(base, 'my_spotify_data');
  await generateExport(exportDir, { plays: 3000, seed: 11, rowsPerFile: 1000, accountDataDays: 20 });
  const clean = await tempDir();
  expect((await runCli(['import', exportDir], { cwd: clean, logLevel: 'warn' })).code).toBe(0);
  expected = await Promise.all(
    DATASETS.map(async (d) => (await readDataset(path.join(clean, d))).records.length),
  );
  expect(expected[0]).toBeGreaterThan(1000);
});

const isTemp = (f: string) => path.basename(f).startsWith('.');

async function lakeFiles(cwd: string): Promise<string[]> {
  return (await Promise.all(DATASETS.map(async (d) => (await readDataset(path.join(cwd, d))).files))).flat();
}

/** Removes every outbox entry: the state a kill leaves when it strikes before the outbox file got its name. */
async function loseOutboxes(cwd: string): Promise<number> {
  let removed = 0;
  const users = path.join(cwd, '.pipeline', 'users');
  for (const user of await fs.readdir(users)) {
    for (const dir of await fs.readdir(path.join(users, user))) {
      if (!dir.startsWith('outbox')) continue;
      for (const name of await fs.readdir(path.join(users, user, dir))) {
        await fs.rm(path.join(users, user, dir, name));
        removed++;
      }
    }
  }
  return removed;
}

async function expectCleanLake(cwd: string) {
  expect((await lakeFiles(cwd)).filter(isTemp)).toEqual([]);
  for (const [i, d] of DATASETS.entries()) {
    const { records, files } = await readDataset(path.join(cwd, d));
    expect(files.every((f) => f.endsWith('.json.gz'))).toBe(true);
    const ids = records.map(playIdentity);
    expect(new Set(ids).size).toBe(ids.length);
    expect(records.length).toBe(expected[i]);
  }
}

// Every pause point an import passes (src/commit/committer.ts, src/fs/fs-atomic.ts, src/import/run-import.ts).
const POINTS = [
  'after-stage-files',
  'after-outbox',
  'after-stage',
  'after-object',
  'after-ledger',
  'after-commit',
  'import-after-batch',
];

// Each test imports into a folder of its own (the export is only read): they run at once.
describe.concurrent('temp files a SIGKILL leaves in the local lake', () => {
  it.each(POINTS)('killed at %s: the clean rerun leaves no temp file and every play once', async (point) => {
    const cwd = await tempDir();
    const killed = await runCli(['import', exportDir], { cwd, until: point, logLevel: 'warn' });
    expect(killed.code).toBeNull();
    const rerun = await runCli(['import', exportDir, '--json'], { cwd, logLevel: 'warn' });
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectCleanLake(cwd);
  });

  it('killed with the objects staged but the outbox not yet durable: the rerun, which writes the batch under new names, removes the old temps', async () => {
    const cwd = await tempDir();
    const point = 'after-stage-files';
    expect((await runCli(['import', exportDir], { cwd, until: point, logLevel: 'warn' })).code).toBeNull();
    // Whether the outbox won the race with the staging or not, a kill a moment earlier leaves none.
    await loseOutboxes(cwd);
    const staged = (await lakeFiles(cwd)).filter(isTemp);
    // Complete gzip files of valid records under hidden names: what a copy of the folder would count twice.
    expect(staged.length).toBeGreaterThan(0);

    const rerun = await runCli(['import', exportDir], { cwd, logLevel: 'warn' });
    expect(rerun.code, rerun.stderr).toBe(0);
    await expectCleanLake(cwd);
    for (const f of staged) await expect(fs.access(f)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
