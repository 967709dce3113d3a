import { promises as fs } from 'node:fs';
import path from 'node:path';
import { addDays, localDate, resolveTimeZone } from '../analytics/timezone.js';
import type { Config } from '../config.js';
import { ConfigError, ExitCode, PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../fs/fs-atomic.js';
import { emptyLakeMessage, failedObjectsMessage } from '../warehouse/refresh-messages.js';
import { loadReportData } from './report-data.js';
import { renderReportHtml } from './render-html.js';

export interface WriteReportOptions {
  out: string;
  /** First local date, YYYY-MM-DD; default 364 days before `to`. */
  from?: string;
  /** Last local date, YYYY-MM-DD; default today. */
  to?: string;
  tz?: string;
  account?: string;
  now?: Date;
  /** Where warnings go (objects that could not be loaded); default the logger. */
  onWarning?: (text: string) => void;
}

export interface WriteReportResult {
  out: string;
  from: string;
  to: string;
  timezone: string;
  plays: number;
  bytes: number;
  /** Lake objects left out because they could not be loaded. */
  failedObjects: number;
}

/** Refreshes the warehouse from the lake and writes the HTML report (atomically: never a half file). */
export async function writeReport(
  config: Config,
  log: Logger,
  options: WriteReportOptions,
): Promise<WriteReportResult> {
  const tz = resolveTimeZone(options.tz);
  const to = options.to ?? localDate(options.now ?? new Date(), tz);
  const from = options.from ?? addDays(to, -364);
  if (from > to)
    throw new ConfigError(`--from ${from} is after --to ${to}: give a period that starts before it ends.`);
  const out = path.resolve(config.cwd, options.out);
  // Before the warehouse work: an unusable --out is the user's to fix (exit 2), and is known at once.
  await checkOutPath(out);
  const { openWarehouse } = await import('../warehouse/warehouse.js');
  const wh = await openWarehouse(config, log);
  try {
    const refreshed = await wh.refresh();
    const warning = failedObjectsMessage(refreshed, config.storage);
    if (warning) (options.onWarning ?? ((text) => log.warn(text)))(warning);
    const data = await loadReportData(wh, { tz, from, to, account: options.account, now: options.now });
    // No data is not an error (as for `stats` and `query`): an empty report, a note saying why, exit 0.
    if ((refreshed.tables.spotify_listening_history ?? 0) === 0)
      (options.onWarning ?? ((text) => log.warn(text)))(
        `note: the report is empty. ${emptyLakeMessage(config.storage)}`,
      );
    else if (data.totals.plays === 0)
      (options.onWarning ?? ((text) => log.warn(text)))(
        `note: no plays${options.account ? ` of ${options.account}` : ''} between ${from} and ${to}: the report is empty. Pick another period with --year or --from/--to.`,
      );
    const html = renderReportHtml(data);
    try {
      await writeFileAtomic(out, html, 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PipelineError(
        `Cannot write the report to ${out} (${code ?? (err as Error).message}): pick a writable file path with --out, for example --out report.html.`,
        // A path the user can fix is a usage error; a full disk or an I/O error is not.
        code && OUT_PATH_ERRORS.has(code) ? ExitCode.usage : ExitCode.failed,
        { cause: err },
      );
    }
    return {
      out,
      from,
      to,
      timezone: tz,
      plays: data.totals.plays,
      bytes: Buffer.byteLength(html),
      failedObjects: refreshed.failed.length,
    };
  } finally {
    wh.close();
  }
}

const OUT_PATH_ERRORS = new Set(['EISDIR', 'ENOENT', 'ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS']);

/** Refuses an --out that names a folder, saying what to pass (missing parent folders are created). */
async function checkOutPath(out: string): Promise<void> {
  const example = path.join(out, 'report.html');
  const stat = await fs.stat(out).catch(() => undefined);
  if (stat?.isDirectory())
    throw new ConfigError(
      `--out ${out} is a folder: give the report's file name, for example --out ${example}.`,
    );
}
