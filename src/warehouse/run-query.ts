import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { ExitCode, PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { emptyLakeMessage, failedObjectsMessage, isEmpty } from './refresh-messages.js';
import { OutputClosedError, duckdbMessage, writeQueryResult, type OutputFormat } from './result-format.js';
import { openWarehouse, warehousePath, type Warehouse } from './warehouse.js';

export interface RunQueryOptions {
  format: OutputFormat;
  maxTableRows?: number;
  /** false: query the warehouse as it is, without reading new lake objects. */
  refresh?: boolean;
  stdout: (text: string) => void | Promise<void>;
  stderr: (text: string) => void;
}

/**
 * `query SQL`: brings the warehouse up to date with the lake, then runs the SQL on a read-only
 * connection (user SQL cannot desynchronise the warehouse from the lake). Returns the exit code.
 */
export async function runQuery(
  config: Config,
  log: Logger,
  sql: string,
  options: RunQueryOptions,
): Promise<number> {
  let failed = false;
  let emptyNote = '';
  // An empty lake with no warehouse yet is queried in memory: nothing is written for a read-only command.
  let inMemory: Warehouse | undefined;
  if (options.refresh !== false || !existsSync(warehousePath(config))) {
    const wh = await openWarehouse(config, log);
    try {
      const result = await wh.refresh();
      const message = failedObjectsMessage(result, config.storage);
      if (message) {
        options.stderr(`${message}\n`);
        failed = true;
      }
      if (isEmpty(result)) emptyNote = `${emptyLakeMessage(config.storage)}\n`;
      if (wh.inMemory) inMemory = wh;
    } finally {
      if (!inMemory) wh.close();
    }
  }
  const wh = inMemory ?? (await openWarehouse(config, log, { readOnly: true }));
  try {
    await writeQueryResult(wh.connection, sql, options.stdout, {
      format: options.format,
      maxTableRows: options.maxTableRows,
    });
  } catch (err) {
    if (err instanceof OutputClosedError) return failed ? ExitCode.failed : ExitCode.ok;
    // No empty-lake note here: it would read as the cause of an error in the SQL itself.
    throw new PipelineError(`SQL error: ${duckdbMessage(err)}`, ExitCode.failed, { cause: err });
  } finally {
    wh.close();
  }
  // After the rows, and only when the SQL ran: an empty result is then explained.
  if (emptyNote) options.stderr(emptyNote);
  return failed ? ExitCode.failed : ExitCode.ok;
}
