import { parseObjectKey } from '../lake/layout.js';
import { DATASETS } from '../record/datasets.js';
import type { ObjectStore, StoredObject } from '../lake/object-store.js';
import type { Logger } from '../log.js';
import { OBJECT_NAMES, qualified, type SnowflakeObjects } from './settings.js';
import { rowObjects, type SnowflakeSqlClient } from './sql-api.js';
import { SnowpipeRestClient } from './snowpipe-rest.js';
import { lakeKeyOf, stageTarget } from './stage-paths.js';
import { copyIntoSql, SOURCE_FILE_COLUMN } from './table-sql.js';
import { describePipes, type Print } from './setup-steps.js';

export interface LoadExistingSummary {
  files_in_lake: number;
  already_loaded: number;
  refreshed: number;
  copied: number;
  rows_copied: number;
  /** Files COPY skipped (ON_ERROR = SKIP_FILE): a bad row somewhere in them, nothing of them loaded. */
  copy_errors: { file: string; error: string }[];
}

/** Files older than this go through COPY; newer ones through the pipe (REFRESH sees only 7 days). */
const REFRESH_WINDOW_MS = 7 * 86_400_000 - 3_600_000;
const COPY_BATCH = 1000;

/**
 * Loads what the lake already holds, never a file twice: files whose rows are in the table (source_file)
 * are skipped; recent files go to the pipe (ALTER PIPE REFRESH, or insertFiles in REST mode), which skips
 * what it loaded itself; older ones are copied by name with COPY INTO ... FILES.
 * "Recent" starts at the later of 7 days ago and the pipe's creation: a re-created pipe has no load
 * history, so files from before it are handled by name (those already in the table are skipped) rather
 * than by a REFRESH that could load them a second time.
 */
export async function loadExisting(
  client: SnowflakeSqlClient,
  store: ObjectStore,
  objects: SnowflakeObjects,
  print: Print,
  log: Logger,
  now = Date.now(),
): Promise<LoadExistingSummary> {
  const summary: LoadExistingSummary = {
    files_in_lake: 0,
    already_loaded: 0,
    refreshed: 0,
    copied: 0,
    rows_copied: 0,
    copy_errors: [],
  };
  const windowStart = now - REFRESH_WINDOW_MS;
  const pipes = await describePipes(client, objects);
  const format = qualified(objects, OBJECT_NAMES.fileFormat);
  for (const d of [
    {
      prefix: objects.tracksPrefix,
      table: OBJECT_NAMES.tracksTable,
      stage: OBJECT_NAMES.tracksStage,
      pipe: OBJECT_NAMES.tracksPipe,
      file: DATASETS.tracks.filePrefix,
    },
    {
      prefix: objects.episodesPrefix,
      table: OBJECT_NAMES.episodesTable,
      stage: OBJECT_NAMES.episodesStage,
      pipe: OBJECT_NAMES.episodesPipe,
      file: DATASETS.episodes.filePrefix,
    },
  ]) {
    const files: StoredObject[] = [];
    for await (const obj of store.list(d.prefix))
      if (parseObjectKey(obj.key) && stageTarget(objects, obj.key)) files.push(obj);
    summary.files_in_lake += files.length;
    if (!files.length) continue;
    const loadedRows = rowObjects(
      await client.execute(
        `SELECT DISTINCT ${SOURCE_FILE_COLUMN} FROM ${qualified(objects, d.table)} WHERE ${SOURCE_FILE_COLUMN} IS NOT NULL`,
        `listing the files already in ${d.table}`,
      ),
    );
    const loaded = new Set(
      loadedRows.map((r) => lakeKeyOf(String(r[SOURCE_FILE_COLUMN]), objects.bucket, d.prefix)),
    );
    const todo = files.filter((f) => !loaded.has(f.key));
    summary.already_loaded += files.length - todo.length;
    const cutoff = Math.max(windowStart, pipes.get(d.pipe)?.createdOn ?? 0);
    const recent = todo.filter((f) => (f.lastModified?.getTime() ?? 0) >= cutoff);
    const old = todo.filter((f) => (f.lastModified?.getTime() ?? 0) < cutoff);
    const rel = (f: StoredObject) => f.key.slice(d.prefix.length);
    if (recent.length) {
      if (objects.mode === 'rest') {
        const { unmatched } = await new SnowpipeRestClient(client.connection, () =>
          client.token(),
        ).insertFiles(qualified(objects, d.pipe), recent.map(rel));
        for (const u of unmatched) print(`✗ skipped by ${d.pipe} (does not match its PATTERN): ${u}`);
      } else {
        // ISO 8601 with a numeric offset, as ALTER PIPE's own example (`'2018-07-30T13:56:46-07:00'`): a `Z` is
        // not among Snowflake's AUTO timestamp formats.
        const after = new Date(cutoff).toISOString().replace(/Z$/, '+00:00');
        await client.execute(
          `ALTER PIPE ${qualified(objects, d.pipe)} REFRESH MODIFIED_AFTER = '${after}'`,
          `refreshing ${d.pipe}`,
          {
            needs: `OPERATE on the pipe, USAGE on its stage and file format, SELECT and INSERT on ${qualified(objects, d.table)} (ALTER PIPE, "Access control requirements"; the owner role has them all): GRANT OPERATE ON PIPE ${qualified(objects, d.pipe)} TO ROLE <role>;`,
          },
        );
      }
      summary.refreshed += recent.length;
      print(`✓ ${recent.length} recent file(s) handed to ${d.pipe}`);
    }
    let skipped = 0;
    for (let i = 0; i < old.length; i += COPY_BATCH) {
      const batch = old.slice(i, i + COPY_BATCH).map(rel);
      const result = rowObjects(
        await client.execute(
          copyIntoSql(qualified(objects, d.table), qualified(objects, d.stage), format, d.file, batch),
          `copying ${batch.length} older file(s) into ${d.table}`,
          {
            needs: `INSERT and SELECT on ${qualified(objects, d.table)} and USAGE on ${qualified(objects, d.stage)} and the file format (the owner role has them).`,
          },
        ),
      );
      for (const r of result) {
        const status = String(r.status ?? '').toUpperCase();
        if (status === 'LOADED') {
          summary.copied++;
          summary.rows_copied += Number(r.rows_loaded ?? 0);
        } else if (status && status !== 'LOAD_SKIPPED' && r.file) {
          // LOAD_FAILED under SKIP_FILE: this file was skipped whole, the others of the batch loaded.
          const file = lakeKeyOf(String(r.file), objects.bucket, d.prefix);
          const where = r.first_error_line ? ` (line ${r.first_error_line})` : '';
          summary.copy_errors.push({ file, error: `${String(r.first_error ?? status)}${where}` });
          skipped++;
        }
      }
      log.info({ table: d.table, files: batch.length }, 'copied older lake files');
    }
    if (old.length)
      print(
        `${skipped ? '✗' : '✓'} ${old.length - skipped} older file(s) copied into ${d.table}${skipped ? `, ${skipped} skipped` : ''}`,
      );
  }
  return summary;
}
