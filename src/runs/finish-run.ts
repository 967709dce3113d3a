import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { emitRunMetrics } from './emf.js';
import { openStateStore } from '../state/open-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { appendRunHistory } from './run-history.js';
import type { RunRecord } from './run-record.js';

/**
 * The one way a run ends: its record appended to the run history (what `stats` and the health check read), its
 * EMF line (METRICS_FORMAT=emf), and the final log line. None of the three fails the run: the lake already
 * holds what the run wrote, and the record only describes it.
 */
export async function finishRun(
  config: Pick<Config, 'metrics'> & Parameters<typeof openStateStore>[0],
  state: StateStore | undefined,
  log: Logger,
  record: RunRecord,
): Promise<void> {
  try {
    await appendRunHistory(state ?? (await openStateStore(config)), record);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'could not append to the run history');
  }
  emitRunMetrics(config, record);
  const [fields, message] = finalLogLine(record);
  log.info(fields, message);
}

/** The last log line of a run, in the field names docs/operations.md lists. */
function finalLogLine(r: RunRecord): [Record<string, unknown>, string] {
  const common = { outcome: r.outcome, durationMs: r.duration_ms };
  if (r.import) {
    return [
      {
        ...common,
        rowsRead: r.import.rows_read,
        written: r.plays_new,
        episodes: r.import.episodes_new,
        alreadyPresent: r.plays_already_present,
        objects: r.files_written,
      },
      `${r.command} finished`,
    ];
  }
  return [
    { ...common, new: r.plays_new, files: r.files_written, requests: r.api?.requests ?? 0 },
    'collection finished',
  ];
}
