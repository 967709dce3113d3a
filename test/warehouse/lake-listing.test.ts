import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDataset } from '../../src/warehouse/lake-listing.js';
import { episodeTable, listeningTable } from '../../src/warehouse/columns.js';
import { PREFIX, localSetup, writePlays } from './lake-fixture.js';
import { play } from '../helpers/records.js';

describe('listing a local lake', () => {
  it('finds the objects of each dataset in every day folder, sorted, and nothing else', async () => {
    const fx = localSetup('lake-listing');
    const keys = await writePlays(fx.store, [
      play('2024-05-02T10:00:00.000Z'),
      play('2023-01-01T08:00:00.000Z'),
      play('2024-05-01T23:59:00.000Z'),
    ]);
    const day = path.join(fx.dataDir, PREFIX, '2024', '05', '01');
    // A write in progress, a hidden folder, a foreign file, and an object of another dataset's shape.
    writeFileSync(path.join(day, `.${path.basename(keys[0]!)}.0123456789ab1.tmp`), 'partial');
    mkdirSync(path.join(fx.dataDir, PREFIX, '.trash', '2024'), { recursive: true });
    writeFileSync(
      path.join(fx.dataDir, PREFIX, '.trash', '2024', 'spotify_tracks_20240101_000000_batch_1_x.json.gz'),
      '',
    );
    writeFileSync(path.join(day, 'notes.txt'), 'mine');
    writeFileSync(path.join(day, 'spotify_episodes_20240501_000000_batch_1_ab.json.gz'), '');

    const listed = await listDataset(fx.store, listeningTable(PREFIX));
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    expect(listed.map((o) => o.key)[0]).toContain(
      `${PREFIX}2023/01/01/spotify_tracks_20230101_080000_batch_1_`,
    );
    expect(await listDataset(fx.store, episodeTable())).toEqual([]);
  });
});
