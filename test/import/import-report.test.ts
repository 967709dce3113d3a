import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { generateExport } from '../../src/demo/generate-export.js';
import { runImport } from '../../src/import/run-import.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/cli.js';
import { readDataset } from '../helpers/lake.js';

let exportDir: string;

beforeAll(async () => {
  const base = await tempDir('report-export-');
  exportDir = path.join(base, 'my_spotify_data');
  // Extended files of 1,000 rows: one batch each, so a failure can strike between files.
  await generateExport(exportDir, { plays: 4000, seed: 5, rowsPerFile: 1000, accountDataDays: 0 });
});

/**
 * The real local lake, whose batch write number `failAt` fails as a full disk does: after the bytes are staged,
 * before any object is published (what ENOSPC from the filesystem flush looks like to the import).
 */
function diskFullAt(root: string, failAt: number): ObjectStore & { batches: number } {
  const real = new LocalObjectStore(root);
  const store = {
    location: real.location,
    batches: 0,
    putIfAbsent: (key: string, body: Buffer) => real.putIfAbsent(key, body),
    putManyIfAbsent: (
      objects: readonly { key: string; body: Buffer }[],
      options: { beforePublish?: () => Promise<void> },
    ) =>
      real.putManyIfAbsent(objects, {
        beforePublish: async () => {
          await options.beforePublish?.();
          if (++store.batches === failAt)
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      }),
    get: (key: string) => real.get(key),
    delete: (key: string) => real.delete(key),
    list: (prefix: string) => real.list(prefix),
  };
  return store;
}

async function checkpointOf(stateDir: string) {
  const data = JSON.parse(await fs.readFile(path.join(stateDir, 'import', 'checkpoint.json'), 'utf8')) as {
    files: Record<string, { file: string; rows_done: number; complete: boolean }>;
  };
  return Object.values(data.files);
}

describe('the import report after a failure mid-import', () => {
  it.each([2, 3])('lists as imported only the files committed (disk full at batch %i)', async (failAt) => {
    const cwd = await tempDir();
    const config = loadConfig({ cwd, env: {} });
    const lake = path.join(cwd, 'data');
    const report = await runImport(config, silentLogger, {
      paths: [exportDir],
      store: diskFullAt(lake, failAt),
    });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(/No space left/);

    const committed = (await checkpointOf(config.stateDir)).filter((f) => f.complete).map((f) => f.file);
    expect(committed).toHaveLength(failAt - 1);
    const listed = report.files.filter((f) => f.status === 'imported').map((f) => f.file);
    expect(listed.sort()).toEqual(committed.sort());
    // The rest that was read is listed as failed, with no row committed; nothing else is claimed.
    for (const f of report.files.filter((x) => x.status !== 'imported')) {
      expect(f).toMatchObject({ status: 'failed', rows: 0 });
    }
    const { records } = await readDataset(path.join(lake, 'spotify_listening_history'));
    const { records: episodes } = await readDataset(path.join(lake, 'spotify_episode_history'));
    expect(records.length + episodes.length).toBe(report.rows_written + report.episodes_written);
    expect(report.objects.length).toBe(report.objects_written);

    // With space again, the rerun skips exactly those and imports the rest.
    const rerun = await runImport(config, silentLogger, { paths: [exportDir] });
    expect(rerun.outcome).toBe('ok');
    expect(
      rerun.files
        .filter((f) => f.status === 'already_imported')
        .map((f) => f.file)
        .sort(),
    ).toEqual(committed.sort());
    expect(rerun.files.filter((f) => f.status === 'imported')).toHaveLength(
      rerun.files_found.extended + rerun.files_found.account_data - committed.length,
    );
    expect(rerun.files_found.extended).toBeGreaterThan(failAt);
  });
});
