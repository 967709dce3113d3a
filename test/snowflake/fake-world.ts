import type { FakeAnswer } from './fake-snowflake.js';

export const SQS_ARN = 'arn:aws:sqs:us-east-1:111122223333:sf-snowpipe-AIDAEXAMPLE-q1';

/** Just enough of a Snowflake account's behaviour for setup and status: what is loaded, what failed. */
export class FakeWorld {
  /** Rows in the tracks table per source_file (path relative to the stage) and date. */
  readonly loaded = new Map<string, { date: string; rows: number }>();
  readonly failed = new Map<string, string>();
  readonly refreshes: string[] = [];
  readonly copies: string[][] = [];
  pipeState = 'RUNNING';
  /** SHOW PIPES created_on, as the SQL API sends a timestamp: epoch seconds. */
  pipeCreatedOn = '1600000000.000000000';
  /** Rows COPY would load per file, from the lake (file → {date, rows}). */
  lake = new Map<string, { date: string; rows: number }>();

  handle = (sql: string): FakeAnswer | undefined => {
    if (/^DESC STORAGE INTEGRATION/i.test(sql)) {
      return {
        columns: ['property', 'property_type', 'property_value', 'property_default'],
        rows: [
          ['ENABLED', 'Boolean', 'true', 'false'],
          ['STORAGE_AWS_IAM_USER_ARN', 'String', 'arn:aws:iam::999988887777:user/abc1-s-v2st0000', ''],
          ['STORAGE_AWS_ROLE_ARN', 'String', 'arn:aws:iam::123456789012:role/snowflake-lake', ''],
          ['STORAGE_AWS_EXTERNAL_ID', 'String', 'XY12345_SFCRole=2_abcdefg=', ''],
        ],
      };
    }
    if (/^SHOW PIPES/i.test(sql)) {
      return {
        columns: [
          'created_on',
          'name',
          'database_name',
          'schema_name',
          'definition',
          'owner',
          'notification_channel',
          'comment',
        ],
        rows: [
          [
            this.pipeCreatedOn,
            'SPOTIFY_TRACKS_PIPE',
            'SPOTIFY',
            'LISTENING',
            'COPY INTO ...',
            'LOADER_ROLE',
            SQS_ARN,
            '',
          ],
          [
            this.pipeCreatedOn,
            'SPOTIFY_EPISODES_PIPE',
            'SPOTIFY',
            'LISTENING',
            'COPY INTO ...',
            'LOADER_ROLE',
            SQS_ARN,
            '',
          ],
        ],
      };
    }
    if (/^SELECT DISTINCT source_file FROM SPOTIFY\.LISTENING\.SPOTIFY_LISTENING_HISTORY/i.test(sql)) {
      return { columns: ['SOURCE_FILE'], rows: [...this.loaded.keys()].map((k) => [k]) };
    }
    if (/^SELECT DISTINCT source_file/i.test(sql)) return { columns: ['SOURCE_FILE'], rows: [] };
    if (/^ALTER PIPE .* REFRESH/i.test(sql)) {
      this.refreshes.push(sql);
      return { columns: ['File', 'Status'], rows: [] };
    }
    const files = /FILES = \(([^)]*)\)/.exec(sql);
    if (/^COPY INTO/i.test(sql) && files) {
      const list = [...files[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
      this.copies.push(list);
      const tracks = /SPOTIFY_LISTENING_HISTORY/.test(sql);
      return {
        columns: [
          'file',
          'status',
          'rows_parsed',
          'rows_loaded',
          'error_limit',
          'errors_seen',
          'first_error',
        ],
        rows: list.map((f) => {
          const rows = this.lake.get(f)?.rows ?? 1;
          if (tracks) this.loaded.set(f, { date: this.lake.get(f)?.date ?? '1970-01-01', rows });
          return [`s3://lake/prefix/${f}`, 'LOADED', String(rows), String(rows), '1', '0', null];
        }),
      };
    }
    if (/SYSTEM\$PIPE_STATUS/i.test(sql)) {
      return {
        columns: ['STATUS'],
        rows: [
          [
            JSON.stringify({
              executionState: this.pipeState,
              pendingFileCount: 0,
              lastIngestedTimestamp: '2026-11-24T03:00:00.000Z',
              notificationChannelName: SQS_ARN,
            }),
          ],
        ],
      };
    }
    if (/COPY_HISTORY/i.test(sql)) {
      const rows: (string | null)[][] = [];
      for (const [f, v] of this.loaded) rows.push([f, 'Loaded', String(v.rows), null, '2026-11-24 03:00:00']);
      for (const [f, e] of this.failed) rows.push([f, 'Load failed', '0', e, '2026-11-24 03:01:00']);
      return { columns: ['FILE_NAME', 'STATUS', 'ROW_COUNT', 'FIRST_ERROR_MESSAGE', 'LAST_LOAD_TIME'], rows };
    }
    if (/^SELECT TO_VARCHAR\(played_at_date\)/i.test(sql)) {
      return {
        columns: ['PLAYED_AT_DATE', 'SOURCE_FILE', 'N'],
        rows: [...this.loaded].map(([f, v]) => [v.date, f, String(v.rows)]),
      };
    }
    if (/CURRENT_USER/i.test(sql))
      return { columns: ['U', 'R', 'W'], rows: [['LOADER', 'LOADER_ROLE', 'LOAD_WH']] };
    return undefined;
  };
}
