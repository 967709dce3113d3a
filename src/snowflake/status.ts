import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { parseObjectKey } from '../lake/layout.js';
import type { ObjectStore } from '../lake/object-store.js';
import { DATASETS } from '../record/datasets.js';
import { SOURCE_FILE_COLUMN } from './table-sql.js';
import { OBJECT_NAMES, qualified, type SnowflakeObjects } from './settings.js';
import { rowObjects, type SnowflakeSqlClient } from './sql-api.js';
import { SnowpipeRestClient, type InsertReport } from './snowpipe-rest.js';
import { readLakeFields } from '../custom-fields/lake-schema.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import { openStateStore } from '../state/open-state-store.js';
import { missingColumns, type MissingColumn } from './column-check.js';
import { readPending } from './snowpipe-notifier.js';
import { lakeKeyOf } from './stage-paths.js';
import { formatPipeStatus, parsePipeStatus, unreadablePipeStatus, type PipeStatus } from './pipe-status.js';
import { SnowflakeError } from './errors.js';

export { parsePipeStatus, type PipeStatus } from './pipe-status.js';

export interface LakeFile {
  key: string;
  date: string;
  plays: number;
  lastModified?: string;
}

export interface LoadRecord {
  key: string;
  status: string;
  rows: number;
  error: string | null;
  at: string | null;
}

export type FileState = 'loaded' | 'pending' | 'missing' | 'failed' | 'partial' | 'duplicated';

export interface DayReconciliation {
  date: string;
  lake_plays: number;
  table_rows: number;
  ok: boolean;
  files: { key: string; state: FileState; lake_plays: number; table_rows: number; error?: string }[];
}

/** A file younger than this that is not in the table yet is "pending", not "missing": Snowpipe takes a minute or so. */
const PENDING_GRACE_MS = 15 * 60_000;

/**
 * Plays in the lake versus rows in the table, per day and per file. Every file is accounted for: loaded
 * (row count equals the plays in its name), partial, failed (COPY_HISTORY says so), pending, or missing.
 */
export function reconcile(
  lake: LakeFile[],
  tableRows: { date: string; key: string | null; rows: number }[],
  loads: LoadRecord[],
  now: number,
): DayReconciliation[] {
  const rowsByFile = new Map<string, number>();
  const rowsByDay = new Map<string, number>();
  for (const r of tableRows) {
    if (r.key) rowsByFile.set(r.key, (rowsByFile.get(r.key) ?? 0) + r.rows);
    rowsByDay.set(r.date, (rowsByDay.get(r.date) ?? 0) + r.rows);
  }
  const failures = new Map<string, LoadRecord>();
  for (const l of loads) if (/FAILED|PARTIALLY/i.test(l.status)) failures.set(l.key, l);
  const days = new Map<string, DayReconciliation>();
  const day = (date: string) => {
    let d = days.get(date);
    if (!d)
      days.set(
        date,
        (d = { date, lake_plays: 0, table_rows: rowsByDay.get(date) ?? 0, ok: true, files: [] }),
      );
    return d;
  };
  for (const f of lake) {
    const d = day(f.date);
    d.lake_plays += f.plays;
    const rows = rowsByFile.get(f.key) ?? 0;
    const failure = failures.get(f.key);
    let state: FileState;
    if (rows === f.plays) state = 'loaded';
    else if (rows > f.plays) state = 'duplicated';
    else if (failure) state = 'failed';
    else if (rows > 0) state = 'partial';
    else if (f.lastModified && now - Date.parse(f.lastModified) < PENDING_GRACE_MS) state = 'pending';
    else state = 'missing';
    d.files.push({
      key: f.key,
      state,
      lake_plays: f.plays,
      table_rows: rows,
      ...(failure?.error ? { error: failure.error } : {}),
    });
  }
  for (const r of tableRows) day(r.date);
  for (const d of days.values()) {
    d.ok =
      d.files.every((f) => f.state === 'loaded' || f.state === 'pending') && d.table_rows <= d.lake_plays;
  }
  return [...days.values()].sort((a, b) => b.date.localeCompare(a.date));
}

export interface StatusReport {
  mode: 'auto' | 'rest';
  days: number;
  pipes: PipeStatus[];
  recent_loads: LoadRecord[];
  reconciliation: DayReconciliation[];
  totals: {
    lake_plays: number;
    table_rows: number;
    missing_files: number;
    failed_files: number;
    pending_files: number;
    duplicated_files: number;
  };
  insert_report?: InsertReport;
  rest_queue?: number;
  /** The lake's custom fields a table lacks (their values are dropped on load until `snowflake setup`). */
  missing_columns: MissingColumn[];
  ok: boolean;
}

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Lists the lake files of the last `days` UTC days (one listing per date folder). */
export async function lakeFiles(
  store: ObjectStore,
  prefix: string,
  days: number,
  now: number,
): Promise<LakeFile[]> {
  const out: LakeFile[] = [];
  for (let i = 0; i < days; i++) {
    const date = utcDate(now - i * 86_400_000);
    const folder = `${prefix}${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/`;
    for await (const obj of store.list(folder)) {
      const parsed = parseObjectKey(obj.key);
      if (!parsed || parsed.filePrefix !== DATASETS.tracks.filePrefix) continue;
      out.push({
        key: obj.key,
        date: parsed.date,
        plays: parsed.count,
        lastModified: obj.lastModified?.toISOString(),
      });
    }
  }
  return out;
}

/**
 * SYSTEM$PIPE_STATUS of one pipe. A pipe that is missing, or that the role may not see, is an answer about that
 * pipe (not a failure of `status`): Snowflake refuses the call with "does not exist or not authorized".
 */
async function readPipeStatus(client: SnowflakeSqlClient, pipe: string, needs: string): Promise<PipeStatus> {
  try {
    const result = await client.execute(
      `SELECT SYSTEM$PIPE_STATUS('${pipe}') AS status`,
      `reading the status of ${pipe}`,
      { needs },
    );
    return parsePipeStatus(pipe, rowObjects(result)[0]?.status ?? null);
  } catch (err) {
    if (
      err instanceof SnowflakeError &&
      (err.code === '002003' || /does not exist or not authorized/i.test(err.message))
    )
      return unreadablePipeStatus(pipe, errorMessage(err).split('\n')[0]!);
    throw err;
  }
}

/** Gathers pipe status (one request per pipe), then recent loads and the row counts in one multi-statement request. */
export async function gatherStatus(
  config: Config,
  client: SnowflakeSqlClient,
  store: ObjectStore,
  objects: SnowflakeObjects,
  days: number,
  now = Date.now(),
): Promise<StatusReport> {
  const table = qualified(objects, OBJECT_NAMES.tracksTable);
  const historyDays = Math.min(days, 14);
  const pipes = [qualified(objects, OBJECT_NAMES.tracksPipe), qualified(objects, OBJECT_NAMES.episodesPipe)];
  const since = utcDate(now - (days - 1) * 86_400_000);
  // COPY_HISTORY takes a START_TIME "within the last 14 days": an hour short of the limit stays clear of it.
  const historyHours = Math.min(historyDays * 24, 14 * 24 - 1);
  const monitor = (what: string) =>
    `MONITOR on ${what}, SELECT on ${table}, USAGE on the database, schema and warehouse (the monitor role of \`snowflake sql\` has them): GRANT MONITOR ON PIPE ${pipes[0]} TO ROLE <role>; GRANT SELECT ON TABLE ${table} TO ROLE <role>;`;
  // Each pipe on its own: in a multi-statement request one failing SYSTEM$PIPE_STATUS (a missing pipe, or no
  // MONITOR on it) would fail the whole request, so the other pipe and the reconciliation would be lost.
  const pipeStatuses: PipeStatus[] = [];
  for (const p of pipes) pipeStatuses.push(await readPipeStatus(client, p, monitor(p)));
  // Dates are formatted and parsed with explicit formats: DATE_OUTPUT_FORMAT and DATE_INPUT_FORMAT are account,
  // user or session parameters, and `reconcile` keys days by YYYY-MM-DD.
  const [history, counts] = await client.executeMany(
    [
      [
        `SELECT file_name, status, row_count, first_error_message, TO_VARCHAR(CONVERT_TIMEZONE('UTC', last_load_time), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_load_time`,
        `FROM TABLE(${objects.database}.INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => '${table}', START_TIME => DATEADD(hour, -${historyHours}, CURRENT_TIMESTAMP())))`,
        'ORDER BY last_load_time DESC',
      ].join('\n'),
      [
        `SELECT TO_VARCHAR(played_at_date, 'YYYY-MM-DD') AS played_at_date, ${SOURCE_FILE_COLUMN}, COUNT(*) AS n`,
        `FROM ${table}`,
        `WHERE played_at_date >= TO_DATE('${since}', 'YYYY-MM-DD')`,
        `GROUP BY 1, 2`,
      ].join('\n'),
    ],
    'reading the load history and row counts',
    { needs: monitor('the pipes') },
  );
  const loads: LoadRecord[] = rowObjects(history!).map((r) => ({
    key: lakeKeyOf(String(r.file_name ?? ''), objects.bucket, objects.tracksPrefix),
    status: String(r.status ?? ''),
    rows: Number(r.row_count ?? 0),
    error: r.first_error_message ?? null,
    at: r.last_load_time ?? null,
  }));
  const tableRows = rowObjects(counts!).map((r) => ({
    date: String(r.played_at_date),
    key: r[SOURCE_FILE_COLUMN]
      ? lakeKeyOf(String(r[SOURCE_FILE_COLUMN]), objects.bucket, objects.tracksPrefix)
      : null,
    rows: Number(r.n ?? 0),
  }));
  const lake = await lakeFiles(store, objects.tracksPrefix, days, now);
  const reconciliation = reconcile(lake, tableRows, loads, now);
  const files = reconciliation.flatMap((d) => d.files);
  const totals = {
    lake_plays: reconciliation.reduce((s, d) => s + d.lake_plays, 0),
    table_rows: reconciliation.reduce((s, d) => s + d.table_rows, 0),
    missing_files: files.filter((f) => f.state === 'missing' || f.state === 'partial').length,
    failed_files: files.filter((f) => f.state === 'failed').length,
    pending_files: files.filter((f) => f.state === 'pending').length,
    duplicated_files: files.filter((f) => f.state === 'duplicated').length,
  };
  const missing = await missingColumns(
    client,
    objects,
    await readLakeFields(await openLakeAreaStore(config)),
  );
  const report: StatusReport = {
    mode: objects.mode,
    days,
    pipes: pipeStatuses,
    recent_loads: loads.slice(0, 20),
    reconciliation,
    totals,
    missing_columns: missing,
    // A pipe that is not RUNNING (an unknown state included) is not OK even if today's counts still match.
    ok:
      reconciliation.every((d) => d.ok) &&
      pipeStatuses.every((p) => p.problem === null) &&
      missing.length === 0,
  };
  if (objects.mode === 'rest') {
    report.rest_queue = (await readPending(await openStateStore(config))).length;
    try {
      report.insert_report = await new SnowpipeRestClient(client.connection, () =>
        client.token(),
      ).insertReport(pipes[0]!);
    } catch (err) {
      report.insert_report = { files: [], pipe: `${pipes[0]} (insertReport failed: ${errorMessage(err)})` };
    }
    if (report.rest_queue > 0) report.ok = false;
  }
  return report;
}

/** The report as lines a person reads. */
export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  for (const p of r.pipes) lines.push(...formatPipeStatus(p));
  if (r.mode === 'rest') {
    lines.push(
      `Snowpipe REST mode: ${r.rest_queue ?? 0} file(s) waiting in the local insertFiles queue; insertReport lists ${r.insert_report?.files.length ?? 0} file(s) loaded or tried in the last 10 minutes (it keeps events that long)`,
    );
    for (const f of r.insert_report?.files.slice(0, 10) ?? [])
      lines.push(
        `  ${f.status ?? '?'} ${f.path} rows ${f.rowsInserted ?? 0}${f.firstError ? ` error: ${f.firstError}` : ''}`,
      );
  }
  lines.push(
    '',
    `recent loads (COPY_HISTORY, last ${Math.min(r.days, 14)} days): ${r.recent_loads.length} shown`,
  );
  for (const l of r.recent_loads.slice(0, 10))
    lines.push(`  ${l.at ?? ''} ${l.status} ${l.key} rows ${l.rows}${l.error ? ` error: ${l.error}` : ''}`);
  lines.push('', `reconciliation, last ${r.days} days (UTC): lake plays vs table rows`);
  for (const d of r.reconciliation) {
    lines.push(`  ${d.ok ? '✓' : '✗'} ${d.date}  lake ${d.lake_plays}  table ${d.table_rows}`);
    for (const f of d.files.filter((x) => x.state !== 'loaded'))
      lines.push(
        `      ${f.state}: ${f.key} (${f.lake_plays} plays, ${f.table_rows} rows)${f.error ? ` ${f.error}` : ''}`,
      );
  }
  const t = r.totals;
  lines.push(
    '',
    `${r.ok ? 'OK' : 'NOT OK'}: ${t.lake_plays} plays in the lake, ${t.table_rows} rows in the table; ${t.missing_files} missing, ${t.failed_files} failed, ${t.pending_files} pending, ${t.duplicated_files} loaded more than once`,
  );
  for (const m of r.missing_columns)
    lines.push(
      `✗ the lake's records carry the custom field ${m.column} (${m.type}), but ${m.table} has no such column: Snowpipe drops its values (MATCH_BY_COLUMN_NAME loads only keys that have a column). Run \`spotify-pipeline snowflake setup\` to add it; rows loaded before then keep NULL there.`,
    );
  const stuck = r.pipes.filter((p) => p.problem);
  if (stuck.length)
    lines.push(
      `${stuck.length} pipe(s) not running: ${stuck.map((p) => `${p.pipe} ${p.executionState ?? 'unknown'}`).join(', ')}`,
    );
  return lines.join('\n');
}
