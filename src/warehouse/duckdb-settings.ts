import { availableParallelism } from 'node:os';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';

/**
 * DuckDB's resource settings for the embedded warehouse. DuckDB's own defaults (80 % of the machine's RAM, a
 * thread per core) suit a server with DuckDB alone on it; this process shares a small host with the collector,
 * so the memory cap is fixed instead: 1 GB holds the working set of every command at 10 million plays
 * (docs/warehouse.md, "Performance"), and beyond it DuckDB spills to a temp folder beside the database rather
 * than growing. Threads stay one per core, at most 4: the loads are parse-bound and the queries small.
 */
export interface WarehouseResources {
  memoryLimit: string;
  threads: number;
}

const DEFAULT_WAREHOUSE_MEMORY_LIMIT = '1GB';
const MAX_DEFAULT_THREADS = 4;
const SIZE = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

export function warehouseResources(config: Pick<Config, 'raw'>): WarehouseResources {
  const memory = config.raw.WAREHOUSE_MEMORY_LIMIT?.trim() || DEFAULT_WAREHOUSE_MEMORY_LIMIT;
  if (!SIZE.test(memory)) {
    throw new ConfigError(
      `WAREHOUSE_MEMORY_LIMIT "${memory}" is not a size: write it like 512MB, 1GB or 2GiB (DuckDB's memory_limit).`,
    );
  }
  const threadsText = config.raw.WAREHOUSE_THREADS?.trim();
  let threads = Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
  if (threadsText) {
    threads = Number(threadsText);
    if (!/^\d+$/.test(threadsText) || threads < 1 || threads > 256) {
      throw new ConfigError(`WAREHOUSE_THREADS "${threadsText}" must be a whole number from 1 to 256.`);
    }
  }
  return { memoryLimit: memory.replace(/\s+/g, ''), threads };
}

/** The options of DuckDBInstance.create (DuckDB takes every value as a string). */
export function duckdbOptions(resources: WarehouseResources): Record<string, string> {
  return { memory_limit: resources.memoryLimit, threads: String(resources.threads) };
}
