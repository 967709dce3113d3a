import type { FakeAnswer, StatementContext } from './fake-snowflake.js';
import {
  ASSUME_ROLE_FAILED,
  declaredColumns,
  formatDate,
  readsAsDate,
  resolvedColumn,
} from './fake-sql-rules.js';

export const SQS_ARN = 'arn:aws:sqs:us-east-1:111122223333:sf-snowpipe-AIDAEXAMPLE-q1';

/** Just enough of a Snowflake account's behaviour for setup and status: what is loaded, what failed. */
export class FakeWorld {
  /** Rows in the tracks table per source_file (path relative to the stage) and date. */
  readonly loaded = new Map<string, { date: string; rows: number }>();
  readonly failed = new Map<string, string>();
  readonly refreshes: string[] = [];
  readonly copies: string[][] = [];
  pipeState = 'RUNNING';
  /** Set to make SYSTEM$PIPE_STATUS report a compile error / an internal fault, as `error` / `fault`. */
  pipeError?: { error: string; at: string };
  pipeFault?: { fault: string; at: string };
  /** Replaces the whole SYSTEM$PIPE_STATUS answer (null: NULL; a string: that text, JSON or not). */
  pipeStatusAnswer?: string | null;
  /** SHOW PIPES created_on, as the SQL API sends a timestamp: epoch seconds. */
  pipeCreatedOn = '1600000000.000000000';
  /** Rows COPY would load per file, from the lake (file → {date, rows}). */
  lake = new Map<string, { date: string; rows: number }>();
  /**
   * Grants a role lacks: a statement matching `sql` sent under `role` (any role when unset) is refused the way
   * Snowflake refuses it, 003001 "Insufficient privileges to operate on <object>".
   */
  readonly denied: { role?: string; sql: RegExp; on: string }[] = [];
  /** Files with a row COPY cannot load (file → Snowflake's error text). */
  readonly bad = new Map<string, string>();
  /** Tables as CREATE TABLE / ALTER TABLE ... ADD COLUMN made them: unqualified name → column names (upper case). */
  readonly tables = new Map<string, string[]>();
  /** The JSON keys each lake file carries (file → keys), for COPY's MATCH_BY_COLUMN_NAME. */
  readonly fileKeys = new Map<string, string[]>();
  /**
   * Keys COPY did not load, per file: with MATCH_BY_COLUMN_NAME, "if additional non-matching columns are present
   * in the data files, the values in these columns are not loaded" (Snowflake, COPY INTO <table>).
   */
  readonly dropped = new Map<string, string[]>();
  /** Account parameters (defaults as documented): how dates are written by TO_VARCHAR and read from strings. */
  dateOutputFormat = 'YYYY-MM-DD';
  dateInputFormat = 'AUTO';
  /**
   * Whether the IAM role trusts the storage integration yet. Until the trust policy DESC INTEGRATION gives is
   * attached, everything that reads the bucket through the integration (LIST, COPY, ALTER PIPE … REFRESH)
   * fails with "Error assuming AWS_ROLE".
   */
  trustAttached = true;
  /** Pipes SYSTEM$PIPE_STATUS refuses ("does not exist or not authorized"): missing, or no MONITOR. */
  readonly unreadablePipes = new Set<string>();
  /** The storage integration as CREATE / ALTER STORAGE INTEGRATION left it. */
  integration?: { roleArn: string; allowed: string[] };
  /** Stages as CREATE STAGE made them (unqualified name → URL and how they authenticate). */
  readonly stages = new Map<string, { url: string; integration?: string; keyId?: string }>();
  /** CREATE OR REPLACE STAGE / PIPE statements seen (re-created objects). */
  readonly replaced: string[] = [];

  handle = (sql: string, ctx: StatementContext = {}): FakeAnswer | undefined => {
    const refused = this.denied.find((d) => d.sql.test(sql) && (d.role === undefined || d.role === ctx.role));
    if (refused) {
      return {
        error: {
          code: '003001',
          sqlState: '42501',
          message: `SQL access control error:\nInsufficient privileges to operate on ${refused.on}`,
        },
      };
    }
    const table = this.ddl(sql);
    if (table) return table;
    const objects = this.objects(sql);
    if (objects) return objects;
    if (!this.trustAttached && /^(LIST @|COPY INTO|ALTER PIPE .* REFRESH)/i.test(sql))
      return { error: ASSUME_ROLE_FAILED };
    if (/^LIST @/i.test(sql)) return { columns: ['name', 'size', 'md5', 'last_modified'], rows: [] };
    if (/^DESC STORAGE INTEGRATION/i.test(sql)) {
      return {
        columns: ['property', 'property_type', 'property_value', 'property_default'],
        rows: [
          ['ENABLED', 'Boolean', 'true', 'false'],
          ['STORAGE_PROVIDER', 'String', 'S3', ''],
          ['STORAGE_ALLOWED_LOCATIONS', 'List', (this.integration?.allowed ?? []).join(','), '[]'],
          ['STORAGE_AWS_IAM_USER_ARN', 'String', 'arn:aws:iam::999988887777:user/abc1-s-v2st0000', ''],
          [
            'STORAGE_AWS_ROLE_ARN',
            'String',
            this.integration?.roleArn ?? 'arn:aws:iam::123456789012:role/snowflake-lake',
            '',
          ],
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
    if (/^COPY INTO/i.test(sql) && files) return this.copy(sql, files[1]!);
    if (/SYSTEM\$PIPE_STATUS/i.test(sql)) {
      const pipe = /SYSTEM\$PIPE_STATUS\('([^']+)'\)/i.exec(sql)?.[1] ?? '';
      if (this.unreadablePipes.has(pipe))
        return {
          error: {
            code: '002003',
            sqlState: '02000',
            message: `SQL compilation error:\nPipe '${pipe}' does not exist or not authorized.`,
          },
        };
      return { columns: ['STATUS'], rows: [[this.pipeStatusJson()]] };
    }
    if (/COPY_HISTORY/i.test(sql)) {
      const rows: (string | null)[][] = [];
      for (const [f, v] of this.loaded) rows.push([f, 'Loaded', String(v.rows), null, '2026-11-24 03:00:00']);
      for (const [f, e] of this.failed) rows.push([f, 'Load failed', '0', e, '2026-11-24 03:01:00']);
      return { columns: ['FILE_NAME', 'STATUS', 'ROW_COUNT', 'FIRST_ERROR_MESSAGE', 'LAST_LOAD_TIME'], rows };
    }
    const counts = /^SELECT TO_VARCHAR\(played_at_date(?:, '([^']+)')?\)/i.exec(sql);
    if (counts) {
      // A string compared with a DATE is read with DATE_INPUT_FORMAT; TO_DATE('…', 'fmt') with its own format.
      const compared = /played_at_date >= '([^']*)'/.exec(sql)?.[1];
      if (compared !== undefined && !readsAsDate(compared, this.dateInputFormat))
        return {
          error: { code: '100040', sqlState: '22007', message: `Date '${compared}' is not recognized` },
        };
      const format = counts[1] ?? this.dateOutputFormat;
      return {
        columns: ['PLAYED_AT_DATE', 'SOURCE_FILE', 'N'],
        rows: [...this.loaded].map(([f, v]) => [formatDate(v.date, format), f, String(v.rows)]),
      };
    }
    if (/CURRENT_USER/i.test(sql))
      return { columns: ['U', 'R', 'W'], rows: [['LOADER', 'LOADER_ROLE', 'LOAD_WH']] };
    return undefined;
  };

  /** CREATE TABLE / ALTER TABLE ADD COLUMN IF NOT EXISTS / INFORMATION_SCHEMA.COLUMNS over `tables`. */
  private ddl(sql: string): FakeAnswer | undefined {
    const name = (q: string) => q.split('.').pop()!.toUpperCase();
    const create = /^CREATE TABLE IF NOT EXISTS (\S+) \(\n([\s\S]*)\n\)$/.exec(sql);
    if (create) {
      const columns = declaredColumns(sql).map(resolvedColumn);
      if (!this.tables.has(name(create[1]!))) this.tables.set(name(create[1]!), columns);
      return { columns: ['status'], rows: [['Table successfully created.']] };
    }
    const add = /^ALTER TABLE (\S+) ADD COLUMN IF NOT EXISTS ("[^"]+"|\w+) \S+/.exec(sql);
    if (add) {
      const columns = this.tables.get(name(add[1]!));
      if (!columns) {
        return {
          error: {
            code: '002003',
            sqlState: '42S02',
            message: `SQL compilation error:\nTable '${add[1]}' does not exist or not authorized.`,
          },
        };
      }
      const column = resolvedColumn(add[2]!);
      if (!columns.includes(column)) columns.push(column);
      return { columns: ['status'], rows: [['Statement executed successfully.']] };
    }
    if (/INFORMATION_SCHEMA\.COLUMNS/i.test(sql)) {
      const rows: string[][] = [];
      for (const [t, cols] of this.tables) for (const c of cols) rows.push([t, c]);
      return { columns: ['TABLE_NAME', 'COLUMN_NAME'], rows };
    }
    return undefined;
  }

  /** Storage integration and stages: CREATE / ALTER keep what they set, DESC shows it. */
  private objects(sql: string): FakeAnswer | undefined {
    const name = (q: string) => q.split('.').pop()!.toUpperCase();
    const urls = (text: string) => [...text.matchAll(/'([a-z0-9]+:\/\/[^']+)'/g)].map((m) => m[1]!);
    const integration = /^(CREATE STORAGE INTEGRATION IF NOT EXISTS|ALTER STORAGE INTEGRATION) /i.exec(sql);
    if (integration) {
      const roleArn = /STORAGE_AWS_ROLE_ARN = '([^']+)'/.exec(sql)?.[1] ?? '';
      const allowed = urls(/STORAGE_ALLOWED_LOCATIONS = \(([^)]*)\)/.exec(sql)?.[1] ?? '');
      if (/^ALTER/i.test(sql) || !this.integration) this.integration = { roleArn, allowed };
      return undefined;
    }
    const stage = /^CREATE (OR REPLACE STAGE|STAGE IF NOT EXISTS) (\S+)/i.exec(sql);
    if (stage) {
      const replace = /^OR REPLACE/i.test(stage[1]!);
      if (replace) this.replaced.push(sql.split('\n')[0]!);
      if (replace || !this.stages.has(name(stage[2]!)))
        this.stages.set(name(stage[2]!), {
          url: /URL = '([^']+)'/.exec(sql)?.[1] ?? '',
          integration: /STORAGE_INTEGRATION = (\w+)/.exec(sql)?.[1],
          keyId: /AWS_KEY_ID = '([^']*)'/.exec(sql)?.[1],
        });
      return undefined;
    }
    if (/^CREATE OR REPLACE PIPE/i.test(sql)) this.replaced.push(sql.split('\n')[0]!);
    const desc = /^DESC STAGE (\S+)/i.exec(sql);
    if (desc) {
      const st = this.stages.get(name(desc[1]!));
      if (!st)
        return {
          error: {
            code: '002003',
            sqlState: '02000',
            message: `SQL compilation error:\nStage '${desc[1]}' does not exist or not authorized.`,
          },
        };
      return {
        columns: ['parent_property', 'property', 'property_type', 'property_value', 'property_default'],
        rows: [
          ['STAGE_LOCATION', 'URL', 'String', JSON.stringify([st.url]), ''],
          ['STAGE_INTEGRATION', 'STORAGE_INTEGRATION', 'String', st.integration ?? '', ''],
          ['STAGE_CREDENTIALS', 'AWS_KEY_ID', 'String', st.keyId ?? '', ''],
        ],
      };
    }
    return undefined;
  }

  /**
   * COPY INTO ... FILES = (...) as Snowflake documents it: ON_ERROR defaults to ABORT_STATEMENT for a bulk COPY,
   * so one bad file fails the statement (422, 100069) and loads nothing; SKIP_FILE loads the good files and
   * reports the bad one as LOAD_FAILED; CONTINUE loads the good rows of a bad file (PARTIALLY_LOADED).
   */
  private copy(sql: string, fileList: string): FakeAnswer {
    const list = [...fileList.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const onError = (/ON_ERROR\s*=\s*'?(\w+)'?/i.exec(sql)?.[1] ?? 'ABORT_STATEMENT').toUpperCase();
    const firstBad = list.find((f) => this.bad.has(f));
    if (firstBad && onError === 'ABORT_STATEMENT') {
      return {
        error: {
          code: '100069',
          sqlState: '22P02',
          message: `Error parsing JSON: ${this.bad.get(firstBad)}\n  File '${firstBad}', line 2, character 1\n  Row 2 starts at line 2, column $1\n  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option. For more information on loading options, please run 'info loading_data' in a SQL client.`,
        },
      };
    }
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
        'first_error_line',
      ],
      rows: list.map((f) => {
        const rows = this.lake.get(f)?.rows ?? 1;
        // COPY names each file by its full URL: the stage URL plus the path relative to it.
        const url = `${tracks ? 's3://lake/spotify_listening_history/' : 's3://lake/spotify_episode_history/'}${f}`;
        const error = this.bad.get(f);
        if (error && onError === 'SKIP_FILE')
          return [url, 'LOAD_FAILED', String(rows), '0', '1', '1', error, '2'];
        const loaded = error ? rows - 1 : rows;
        if (tracks) this.loaded.set(f, { date: this.lake.get(f)?.date ?? '1970-01-01', rows: loaded });
        const columns = this.tables.get(tracks ? 'SPOTIFY_LISTENING_HISTORY' : 'SPOTIFY_EPISODE_HISTORY');
        const keys = this.fileKeys.get(f);
        if (columns && keys)
          this.dropped.set(
            f,
            keys.filter((k) => !columns.includes(k.toUpperCase())),
          );
        if (error)
          return [url, 'PARTIALLY_LOADED', String(rows), String(loaded), String(rows), '1', error, '2'];
        return [url, 'LOADED', String(rows), String(rows), '1', '0', null, null];
      }),
    };
  }

  /**
   * SYSTEM$PIPE_STATUS as documented: only documented keys, each "if applicable" (error and fault with their
   * timestamps only after one happened; no lastPipeErrorMessage, which Snowflake does not return).
   */
  pipeStatusJson(): string | null {
    if (this.pipeStatusAnswer !== undefined) return this.pipeStatusAnswer;
    return JSON.stringify({
      executionState: this.pipeState,
      pendingFileCount: 0,
      lastIngestedTimestamp: '2026-11-24T03:00:00.000Z',
      lastIngestedFilePath: '2026/11/24/spotify_tracks_20261124_024512_batch_3_0f1e2d3c4b5a.json.gz',
      notificationChannelName: SQS_ARN,
      numOutstandingMessagesOnChannel: 0,
      lastReceivedMessageTimestamp: '2026-11-24T02:59:58.000Z',
      lastForwardedMessageTimestamp: '2026-11-24T02:59:59.000Z',
      ...(this.pipeError ? { error: this.pipeError.error, lastPipeErrorTimestamp: this.pipeError.at } : {}),
      ...(this.pipeFault ? { fault: this.pipeFault.fault, lastPipeFaultTimestamp: this.pipeFault.at } : {}),
    });
  }
}
