import type { ConnectionCheck } from '../checks/check.js';
import { errorMessage } from '../errors.js';
import {
  loadSnowflakeSettings,
  OBJECT_NAMES,
  qualified,
  requireConnection,
  snowflakeConfigured,
} from './settings.js';
import { rowObjects, SnowflakeSqlClient } from './sql-api.js';
import { parsePipeStatus } from './pipe-status.js';

/** `test`: a key-pair login plus the pipe's state; nothing when Snowflake is not configured. */
export const snowflakeCheck: ConnectionCheck = async (config, log) => {
  if (!snowflakeConfigured(config)) return [];
  const account = config.raw.SNOWFLAKE_ACCOUNT ?? '';
  const name = `snowflake (${account})`;
  let client: SnowflakeSqlClient;
  try {
    const settings = loadSnowflakeSettings(config);
    const conn = requireConnection(settings);
    // Read-only checks: the monitor role when one is set (SNOWFLAKE_MONITOR_ROLE).
    client = new SnowflakeSqlClient({ ...conn, role: conn.monitorRole ?? conn.role }, log, { maxRetries: 1 });
    const who =
      rowObjects(
        await client.execute(
          'SELECT CURRENT_USER() AS u, CURRENT_ROLE() AS r, CURRENT_WAREHOUSE() AS w',
          'logging in',
        ),
      )[0] ?? {};
    const results = [
      {
        name,
        ok: true,
        detail: `logged in as ${who.u ?? '?'} with role ${who.r ?? '?'}, warehouse ${who.w ?? 'none'}`,
      },
    ];
    const pipe = qualified(settings.objects, OBJECT_NAMES.tracksPipe);
    try {
      const text =
        rowObjects(
          await client.execute(
            `SELECT SYSTEM$PIPE_STATUS('${pipe}') AS status`,
            `reading the status of ${pipe}`,
          ),
        )[0]?.status ?? null;
      const status = parsePipeStatus(pipe, text);
      results.push({
        name: `snowpipe ${pipe}`,
        ok: status.problem === null,
        detail: `${status.executionState ?? 'unknown'}, ${status.pendingFileCount ?? '?'} file(s) pending${status.problem ? `: ${status.problem}` : ''}${status.error ? `; error: ${status.error}` : ''}${status.fault ? `; fault: ${status.fault}` : ''}`,
      });
    } catch (err) {
      results.push({ name: `snowpipe ${pipe}`, ok: false, detail: errorMessage(err) });
    }
    return results;
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};
