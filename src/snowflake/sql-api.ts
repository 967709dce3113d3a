import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { explainSnowflakeError, networkError, SnowflakeError } from './errors.js';
import { JwtSource, loadPrivateKey } from './jwt.js';
import type { SnowflakeConnection } from './settings.js';

/** One result: column names (upper case, as Snowflake gives them) and rows as string-or-null cells. */
export interface QueryResult {
  columns: string[];
  rows: (string | null)[][];
  statementHandle: string;
}

/** A row keyed by lower-cased column name. */
export function rowObjects(result: QueryResult): Record<string, string | null>[] {
  const names = result.columns.map((c) => c.toLowerCase());
  return result.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i] ?? null])));
}

interface ResultSetBody {
  code?: string;
  sqlState?: string;
  message?: string;
  statementHandle?: string;
  statementHandles?: string[];
  statementStatusUrl?: string;
  resultSetMetaData?: { rowType?: { name: string }[]; partitionInfo?: unknown[] };
  data?: (string | null)[][];
}

const USER_AGENT = 'spotify-snowflake-pipeline/0.1';
/** Answers worth retrying with the same requestId (Snowflake then does not run the statement twice). */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * A client of Snowflake's SQL API (POST /api/v2/statements) with key-pair JWT: no driver. Statements
 * that take longer than Snowflake's 45 s answer window come back as 202 and are polled until done.
 */
export class SnowflakeSqlClient {
  private readonly jwt: JwtSource;

  constructor(
    private readonly conn: SnowflakeConnection,
    private readonly log: Logger,
    private readonly options: { maxRetries?: number; pollMs?: number } = {},
  ) {
    this.jwt = new JwtSource(conn.account, conn.user, loadPrivateKey(conn.privateKeyPath, conn.passphrase));
  }

  get connection(): SnowflakeConnection {
    return this.conn;
  }

  /** The JWT for Snowflake's other REST APIs (Snowpipe). */
  token(): string {
    return this.jwt.token();
  }

  /** Runs one statement; `doing` names it in errors. */
  async execute(statement: string, doing = 'running a statement'): Promise<QueryResult> {
    const body = await this.submit(statement, 1, doing);
    return this.collect(body, doing);
  }

  /**
   * Runs several statements in one request (MULTI_STATEMENT_COUNT) and returns one result per statement,
   * fetched through the statement handles Snowflake lists.
   */
  async executeMany(statements: string[], doing = 'running statements'): Promise<QueryResult[]> {
    if (statements.length === 1) return [await this.execute(statements[0]!, doing)];
    const body = await this.submit(statements.join(';\n'), statements.length, doing);
    const done = await this.waitFor(body, doing);
    const handles = done.statementHandles ?? [];
    const results: QueryResult[] = [];
    for (const handle of handles) {
      const one = await this.request(
        'GET',
        `/api/v2/statements/${encodeURIComponent(handle)}`,
        undefined,
        doing,
      );
      results.push(await this.collect(one, doing));
    }
    return results;
  }

  private async submit(statement: string, count: number, doing: string): Promise<ResultSetBody> {
    const c = this.conn;
    const payload = {
      statement,
      timeout: c.statementTimeoutSeconds,
      database: c.database,
      schema: c.schema,
      ...(c.warehouse ? { warehouse: c.warehouse } : {}),
      ...(c.role ? { role: c.role } : {}),
      parameters: { MULTI_STATEMENT_COUNT: String(count) },
    };
    return this.request('POST', `/api/v2/statements?requestId=${randomUUID()}`, payload, doing);
  }

  /** Follows a 202 answer until the statement finished (200) or failed (422 and friends). */
  private async waitFor(first: ResultSetBody & { _status?: number }, doing: string): Promise<ResultSetBody> {
    let body = first;
    let delay = this.options.pollMs ?? 250;
    const deadline = Date.now() + (this.conn.statementTimeoutSeconds + 60) * 1000;
    while (body._status === 202) {
      if (Date.now() > deadline) {
        throw new SnowflakeError(
          `Snowflake did not finish while ${doing} within SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS (${this.conn.statementTimeoutSeconds} s): raise it or use a bigger warehouse.`,
          body.code,
          body.sqlState,
          1,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
      const url = body.statementStatusUrl ?? `/api/v2/statements/${body.statementHandle}`;
      body = await this.request('GET', url, undefined, doing);
    }
    return body;
  }

  private async collect(first: ResultSetBody, doing: string): Promise<QueryResult> {
    const body = await this.waitFor(first, doing);
    const columns = (body.resultSetMetaData?.rowType ?? []).map((r) => r.name);
    const rows = [...(body.data ?? [])];
    const partitions = body.resultSetMetaData?.partitionInfo?.length ?? 1;
    for (let p = 1; p < partitions; p++) {
      const part = await this.request(
        'GET',
        `/api/v2/statements/${encodeURIComponent(body.statementHandle ?? '')}?partition=${p}`,
        undefined,
        doing,
      );
      rows.push(...(part.data ?? []));
    }
    return { columns, rows, statementHandle: body.statementHandle ?? '' };
  }

  private async request(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    payload: unknown,
    doing: string,
  ): Promise<ResultSetBody & { _status?: number }> {
    const maxRetries = this.options.maxRetries ?? 4;
    let url = `${this.conn.baseUrl}${pathAndQuery}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.jwt.token()}`,
            'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
            Accept: 'application/json',
            'User-Agent': USER_AGENT,
            ...(payload ? { 'Content-Type': 'application/json' } : {}),
          },
          body: payload ? JSON.stringify(payload) : undefined,
          signal: AbortSignal.timeout(120_000),
        });
      } catch (err) {
        if (attempt < maxRetries && !/ENOTFOUND/.test(String((err as { cause?: unknown }).cause))) {
          await sleep(backoff(attempt));
          continue;
        }
        throw networkError(this.conn.baseUrl, err, doing);
      }
      const text = await res.text();
      let body: ResultSetBody = {};
      try {
        body = text ? (JSON.parse(text) as ResultSetBody) : {};
      } catch {
        body = { message: text.slice(0, 200) };
      }
      if (res.status === 200 || res.status === 202) return { ...body, _status: res.status };
      if (RETRYABLE.has(res.status) && attempt < maxRetries) {
        const retryAfter = Number(res.headers.get('retry-after'));
        this.log.debug({ status: res.status, attempt }, 'Snowflake asked to retry');
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff(attempt));
        // A retried POST carries retry=true with the same requestId: Snowflake runs it at most once.
        if (method === 'POST' && !url.includes('retry=true')) url += '&retry=true';
        continue;
      }
      throw explainSnowflakeError(
        { code: body.code, sqlState: body.sqlState, message: body.message, httpStatus: res.status },
        { doing, user: this.conn.user, role: this.conn.role, warehouse: this.conn.warehouse },
      );
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(200 * 2 ** attempt, 5000);
}
