import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { describeLake, type Config } from '../config.js';
import { PipelineError, errorMessage } from '../errors.js';
import { parseObjectKey } from '../lake/layout.js';
import { openObjectStore } from '../lake/open-store.js';
import type { Logger } from '../log.js';
import {
  createTableSql,
  addColumnsSql,
  episodeTable,
  listeningTable,
  readJsonSql,
  sqlString,
  type TableSpec,
} from './columns.js';
import { readLakeFields } from '../custom-fields/lake-schema.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import { describeObjects, listDataset, type LakeObject } from './lake-listing.js';
import { duckdbOptions, warehouseResources } from './duckdb-settings.js';
import { openDuckDbFile } from './duckdb-file.js';
import { objectSource, type ObjectSource } from './object-source.js';
import { folderError, makeDirectory, type FolderSetting } from '../fs/folders.js';

/** What one refresh did. */
export interface RefreshResult {
  /** Lake objects of the warehouse's datasets seen in the listing. */
  objectsInLake: number;
  objectsLoaded: number;
  rowsLoaded: number;
  /** Objects loaded by an earlier refresh, not read again. */
  objectsAlreadyLoaded: number;
  /** Objects that could not be loaded (corrupt gzip, bad JSON, wrong types): the rest still loads. */
  failed: { key: string; message: string }[];
  /** Row counts of the warehouse tables after the refresh. */
  tables: Record<string, number>;
  durationMs: number;
}

export interface QueryRows {
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface Warehouse {
  readonly path: string;
  /**
   * True when nothing is on disk: the warehouse file did not exist and the lake held nothing to load, so a
   * read-only command (`query`, `stats`, `report`) on a fresh folder leaves no STATE_DIR behind.
   */
  readonly inMemory: boolean;
  readonly connection: DuckDBConnection;
  /** Loads every lake object not loaded yet, each exactly once. */
  refresh(): Promise<RefreshResult>;
  /** Runs SQL and returns rows as plain JSON-ready objects (BIGINT as number when safe). */
  rows(sql: string, params?: Record<string, DuckDBValue>): Promise<QueryRows>;
  /** Whether a table exists (the episode table exists only once episodes are in the lake). */
  hasTable(name: string): Promise<boolean>;
  close(): void;
}

export interface OpenWarehouseOptions {
  /** The DuckDB file; default STATE_DIR/warehouse/spotify.duckdb. */
  path?: string;
  /** Read-only: for user SQL, so a stray DELETE cannot desynchronise the warehouse from the lake. */
  readOnly?: boolean;
  /** How long to wait for another process that holds the database (default 10 s). */
  lockWaitMs?: number;
}

/** Objects per read_json statement: large enough to amortise statements, small enough to bound memory. */
const BATCH_OBJECTS = 256;
const LOADED_TABLE = '_warehouse_loaded_objects';
const WAREHOUSE_FOLDER: FolderSetting = {
  name: 'The warehouse folder (in STATE_DIR)',
  fix: 'point STATE_DIR (or --state-dir) at a folder this user can write',
};
const META_TABLE = '_warehouse_meta';

export function warehousePath(config: Config): string {
  return path.join(config.stateDir, 'warehouse', 'spotify.duckdb');
}

export async function openWarehouse(
  config: Config,
  log: Logger,
  options: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  const file = options.path ?? warehousePath(config);
  const cacheDir = path.join(path.dirname(file), 'incoming');
  const inMemory = !options.readOnly && !options.path && !existsSync(file) && (await lakeIsEmpty(config));
  let instance: DuckDBInstance;
  if (inMemory) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    instance = await DuckDBInstance.create(':memory:', duckdbOptions(warehouseResources(config)));
  } else {
    try {
      await makeDirectory(path.dirname(file), 0o700);
    } catch (err) {
      throw folderError(path.dirname(file), WAREHOUSE_FOLDER, err);
    }
    instance = await openDuckDbFile(file, duckdbOptions(warehouseResources(config)), {
      readOnly: options.readOnly,
      lockWaitMs: options.lockWaitMs ?? 10_000,
    });
  }
  const connection = await instance.connect();
  // Deterministic conversions: TIMESTAMP columns hold UTC; local time is always asked for explicitly.
  await connection.run(`SET TimeZone = 'UTC'`);
  const wh = new DuckDBWarehouse(
    config,
    log,
    inMemory ? ':memory:' : file,
    cacheDir,
    inMemory,
    instance,
    connection,
  );
  if (!options.readOnly) await wh.prepare();
  return wh;
}

/** Whether the lake holds no object of the warehouse's datasets (a missing local lake folder holds none). */
async function lakeIsEmpty(config: Config): Promise<boolean> {
  const store = await openObjectStore(config.storage);
  for (const spec of [listeningTable(config.storage.prefix), episodeTable()])
    if ((await listDataset(store, spec)).length > 0) return false;
  return true;
}
class DuckDBWarehouse implements Warehouse {
  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    readonly path: string,
    /** Where S3 objects are fetched to before loading. */
    private readonly cacheDir: string,
    readonly inMemory: boolean,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  private get lakeId(): string {
    return `${describeLake(this.config.storage)}`;
  }

  /** Creates the bookkeeping tables; a warehouse built from another lake is emptied and rebuilt. */
  async prepare(): Promise<void> {
    const c = this.connection;
    await c.run(`CREATE TABLE IF NOT EXISTS ${META_TABLE} (name VARCHAR PRIMARY KEY, value VARCHAR)`);
    await c.run(
      `CREATE TABLE IF NOT EXISTS ${LOADED_TABLE} (key VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, size BIGINT, last_modified TIMESTAMP, rows BIGINT, loaded_at TIMESTAMP NOT NULL)`,
    );
    const meta = await this.rows(`SELECT value FROM ${META_TABLE} WHERE name = 'lake'`);
    const previous = meta.rows[0]?.value as string | undefined;
    if (previous !== undefined && previous !== this.lakeId) {
      this.log.info({ previous, lake: this.lakeId }, 'the lake changed: rebuilding the warehouse');
      await c.run('BEGIN TRANSACTION');
      for (const spec of [listeningTable(this.config.storage.prefix), episodeTable()])
        await c.run(`DROP TABLE IF EXISTS ${spec.table}`);
      await c.run(`DELETE FROM ${LOADED_TABLE}`);
      await c.run('COMMIT');
    }
    await c.run(`INSERT OR REPLACE INTO ${META_TABLE} VALUES ('lake', ${sqlString(this.lakeId)})`);
    await c.run(createTableSql(listeningTable(this.config.storage.prefix)));
    // Empty until episodes are in the lake, but there: the documented sample queries must not fail before.
    await c.run(createTableSql(episodeTable()));
  }

  async refresh(): Promise<RefreshResult> {
    const started = Date.now();
    const store = await openObjectStore(this.config.storage);
    const source = objectSource(store, this.cacheDir);
    const loaded = await this.loadedKeys();
    const result: RefreshResult = {
      objectsInLake: 0,
      objectsLoaded: 0,
      rowsLoaded: 0,
      objectsAlreadyLoaded: 0,
      failed: [],
      tables: {},
      durationMs: 0,
    };
    // The columns follow the lake: its custom fields (kept beside the lease) become columns, old rows NULL.
    const custom = await readLakeFields(await openLakeAreaStore(this.config));
    for (const spec of [listeningTable(this.config.storage.prefix, custom), episodeTable(custom)]) {
      const objects = await listDataset(store, spec, loaded);
      result.objectsInLake += objects.length;
      const pending = await describeObjects(
        store,
        objects.filter((o) => !loaded.has(o.key)),
      );
      result.objectsAlreadyLoaded += objects.length - pending.length;
      if (objects.length > 0) {
        await this.connection.run(createTableSql(spec));
        for (const sql of addColumnsSql(spec, await this.columnsOf(spec.table)))
          await this.connection.run(sql);
      }
      for (let i = 0; i < pending.length; i += BATCH_OBJECTS) {
        const batch = pending.slice(i, i + BATCH_OBJECTS);
        const done = await this.loadBatch(spec, source, batch, result.failed);
        result.objectsLoaded += done.objects;
        result.rowsLoaded += done.rows;
      }
      if (await this.hasTable(spec.table)) {
        const count = await this.rows(`SELECT count(*) AS n FROM ${spec.table}`);
        result.tables[spec.table] = Number(count.rows[0]?.n ?? 0);
      }
    }
    result.durationMs = Date.now() - started;
    this.log.debug({ ...result, failed: result.failed.length }, 'warehouse refreshed');
    return result;
  }

  /**
   * The keys of every loaded object. One string rather than a row per key: converting a row object per key was
   * most of an incremental refresh of a long lake (docs/warehouse.md, "Incremental refresh"). A key never holds
   * a newline (the layout's pattern excludes it).
   */
  private async loadedKeys(): Promise<Set<string>> {
    const { rows } = await this.rows(`SELECT string_agg(key, chr(10)) AS keys FROM ${LOADED_TABLE}`);
    const joined = rows[0]?.keys as string | null | undefined;
    return new Set(joined ? joined.split('\n') : []);
  }

  /**
   * Loads objects in one transaction: the rows and the record of which objects they came from commit
   * together, so an object is never loaded twice nor half. A failing batch is retried object by object
   * to name the bad ones and load the rest.
   */
  private async loadBatch(
    spec: TableSpec,
    source: ObjectSource,
    batch: readonly LakeObject[],
    failed: RefreshResult['failed'],
  ): Promise<{ objects: number; rows: number }> {
    const paths = await source.materialize(batch.map((o) => o.key));
    try {
      if (batch.length > 1) {
        try {
          return { objects: batch.length, rows: await this.loadFiles(spec, batch, paths) };
        } catch {
          // Find which objects are at fault, below.
        }
      }
      let objects = 0;
      let rows = 0;
      for (let i = 0; i < batch.length; i++) {
        try {
          rows += await this.loadFiles(spec, [batch[i]!], [paths[i]!]);
          objects++;
        } catch (err) {
          const message = errorMessage(err);
          // DuckDB names the file in every error about its content; anything else (disk full, out of
          // memory) is not this object's fault and must not be reported as a corrupt object.
          if (!message.includes(paths[i]!)) {
            throw new PipelineError(
              `Loading the lake into the warehouse ${this.path} failed: ${message}`,
              1,
              {
                cause: err,
              },
            );
          }
          const firstLine = message.split('\n')[0]!.replaceAll(paths[i]!, batch[i]!.key);
          failed.push({ key: batch[i]!.key, message: firstLine });
          this.log.warn({ key: batch[i]!.key, err: firstLine }, 'lake object could not be loaded');
        }
      }
      return { objects, rows };
    } finally {
      await source.release(paths);
    }
  }

  private async loadFiles(spec: TableSpec, objects: readonly LakeObject[], paths: string[]): Promise<number> {
    const c = this.connection;
    await c.run('BEGIN TRANSACTION');
    try {
      // Straight into the table: staging the rows first to count them per file would double the work.
      // BY NAME: columns added to an older table come last, wherever the spec has them.
      const inserted = (
        await c.run(`INSERT INTO ${spec.table} BY NAME SELECT * FROM ${readJsonSql(spec, paths)}`)
      ).rowsChanged;
      // Per-object counts come from the names (batch_N); kept only when they add up to what was inserted.
      const named = objects.map((o) => parseObjectKey(o.key)?.count);
      const trusted = named.reduce<number>((sum, n) => sum + (n ?? Number.NaN), 0) === inserted;
      const values = objects
        .map((o, i) => {
          const modified = o.lastModified
            ? `TIMESTAMP ${sqlString(o.lastModified.toISOString().replace('T', ' ').replace('Z', ''))}`
            : 'NULL';
          return `(${sqlString(o.key)}, ${sqlString(spec.dataset)}, ${o.size ?? 'NULL'}, ${modified}, ${trusted ? named[i] : 'NULL'}, now()::TIMESTAMP)`;
        })
        .join(',\n');
      await c.run(`INSERT INTO ${LOADED_TABLE} VALUES ${values}`);
      await c.run('COMMIT');
      return inserted;
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async rows(sql: string, params?: Record<string, DuckDBValue>): Promise<QueryRows> {
    const reader = await this.connection.runAndReadAll(sql, params);
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const name of columns) out[name] = plain(row[name]);
      return out;
    });
    return { columns, rows };
  }

  private async columnsOf(table: string): Promise<Set<string>> {
    const r = await this.rows(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $table`,
      { table },
    );
    return new Set(r.rows.map((row) => row.column_name as string));
  }

  async hasTable(name: string): Promise<boolean> {
    const r = await this.rows(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $name`,
      { name },
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** JS values from DuckDB made JSON-friendly: BIGINT → number when exact, dates → ISO strings. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
