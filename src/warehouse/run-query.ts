import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { ExitCode, PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { emptyLakeMessage, failedObjectsMessage, isEmpty } from './refresh-messages.js';
import { OutputClosedError, duckdbMessage, writeQueryResult, type OutputFormat } from './result-format.js';
import { openWarehouse, warehousePath } from './warehouse.js';

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
  if (options.refresh !== false || !existsSync(warehousePath(config))) {
    const wh = await openWarehouse(config, log);
    try {
      const result = await wh.refresh();
      const message = failedObjectsMessage(result, config.storage);
      if (message) {
        options.stderr(`${message}\n`);
        failed = true;
      }
      if (isEmpty(result)) options.stderr(`${emptyLakeMessage(config.storage)}\n`);
    } finally {
      wh.close();
    }
  }
  const wh = await openWarehouse(config, log, { readOnly: true });
  try {
    await writeQueryResult(wh.connection, sql, options.stdout, {
      format: options.format,
      maxTableRows: options.maxTableRows,
    });
  } catch (err) {
    if (err instanceof OutputClosedError) return failed ? ExitCode.failed : ExitCode.ok;
    const message = duckdbMessage(err);
    const hint = /spotify_episode_history does not exist/.test(message)
      ? '\nThe table spotify_episode_history appears once podcast episodes are in the lake: import a Spotify privacy-data export with `spotify-pipeline import <zip>`.'
      : '';
    throw new PipelineError(`SQL error: ${message}${hint}`, ExitCode.failed, { cause: err });
  } finally {
    wh.close();
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}
