import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { warehouseResources } from '../../src/warehouse/duckdb-settings.js';
import { openWarehouse } from '../../src/warehouse/warehouse.js';
import { localSetup, writePlays } from './lake-fixture.js';
import { play } from '../helpers/records.js';

async function settingsOf(env: Record<string, string>) {
  const fx = localSetup('duckdb-settings', env);
  await writePlays(fx.store, [play('2024-05-01T10:00:00.000Z')]);
  const wh = await openWarehouse(fx.config, silentLogger);
  try {
    const refreshed = await wh.refresh();
    const { rows } = await wh.rows(
      `SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads`,
    );
    return { memory: rows[0]?.memory, threads: rows[0]?.threads, loaded: refreshed.rowsLoaded };
  } finally {
    wh.close();
  }
}

describe('DuckDB resources of the warehouse', () => {
  it('caps memory at 1 GB by default instead of DuckDB’s 80 % of RAM, and loads as before', async () => {
    const s = await settingsOf({});
    expect(s.memory).toMatch(/^(953\.6 MiB|1\.0 GB|1000\.0 MB)$/);
    expect(s.loaded).toBe(1);
  });

  it('takes WAREHOUSE_MEMORY_LIMIT and WAREHOUSE_THREADS', async () => {
    const s = await settingsOf({ WAREHOUSE_MEMORY_LIMIT: '256MB', WAREHOUSE_THREADS: '1' });
    expect(s.memory).toMatch(/^(244\.1 MiB|256\.0 MB)$/);
    expect(Number(s.threads)).toBe(1);
  });

  it('refuses a limit that is not a size and a thread count out of range, naming the setting', () => {
    expect(() => warehouseResources({ raw: { WAREHOUSE_MEMORY_LIMIT: 'lots' } })).toThrow(ConfigError);
    expect(() => warehouseResources({ raw: { WAREHOUSE_MEMORY_LIMIT: 'lots' } })).toThrow(
      /WAREHOUSE_MEMORY_LIMIT "lots"/,
    );
    expect(() => warehouseResources({ raw: { WAREHOUSE_THREADS: '0' } })).toThrow(/WAREHOUSE_THREADS "0"/);
  });
});
