import { randomUUID } from 'node:crypto';
import { sleep } from '../net/retry.js';
import type { Logger } from '../log.js';
import { explainSnowflakeError, networkError, SnowflakeError } from './errors.js';
import { JwtSource, loadPrivateKey } from './jwt.js';
import { DEFAULT_RETRY_POLICY, sendWithRetries, type SnowflakeRetryPolicy } from './retry-policy.js';
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

export interface SqlClientOptions {
  /** Shorthand for retry.maxRetries. */
  maxRetries?: number;
  retry?: Partial<SnowflakeRetryPolicy>;
  pollMs?: number;
}

export interface ExecuteOptions {
  /** Run this statement under another role than SNOWFLAKE_ROLE (the SQL API takes a role per request). */
  role?: string;
  /** The grant the statement needs, named in the error when Snowflake answers "insufficient privileges". */
  needs?: string;
  /**
   * False: send no warehouse. DDL needs none, and the admin role is not granted USAGE on SNOWFLAKE_WAREHOUSE
   * (roles.ts); how Snowflake treats a warehouse the role may not use at session start is not documented.
   */
  warehouse?: false;
}

/**
 * A client of Snowflake's SQL API (POST /api/v2/statements) with key-pair JWT: no driver. Statements
 * that take longer than Snowflake's 45 s answer window come back as 202 and are polled until done.
 */
export class SnowflakeSqlClient {
  private readonly jwt: JwtSource;
  private readonly retry: SnowflakeRetryPolicy;

  constructor(
    private readonly conn: SnowflakeConnection,
    private readonly log: Logger,
    private readonly options: SqlClientOptions = {},
  ) {
    this.jwt = new JwtSource(conn.account, conn.user, loadPrivateKey(conn.privateKeyPath, conn.passphrase));
    this.retry = {
      ...DEFAULT_RETRY_POLICY,
      ...options.retry,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    };
  }

  get connection(): SnowflakeConnection {
    return this.conn;
  }

  /** The JWT for Snowflake's other REST APIs (Snowpipe). */
  token(): string {
    return this.jwt.token();
  }

  /** Runs one statement; `doing` names it in errors. */
  async execute(
    statement: string,
    doing = 'running a statement',
    options: ExecuteOptions = {},
  ): Promise<QueryResult> {
    const call = { doing, ...options };
    const body = await this.submit(statement, 1, call);
    return this.collect(body, call);
  }

  /**
   * Runs several statements in one request (MULTI_STATEMENT_COUNT) and returns one result per statement,
   * fetched through the statement handles Snowflake lists.
   */
  async executeMany(
    statements: string[],
    doing = 'running statements',
    options: ExecuteOptions = {},
  ): Promise<QueryResult[]> {
    if (statements.length === 1) return [await this.execute(statements[0]!, doing, options)];
    const call = { doing, ...options };
    const body = await this.submit(statements.join(';\n'), statements.length, call);
    const done = await this.waitFor(body, call);
    const handles = done.statementHandles ?? [];
    const results: QueryResult[] = [];
    for (const handle of handles) {
      const one = await this.request(
        'GET',
        `/api/v2/statements/${encodeURIComponent(handle)}`,
        undefined,
        call,
      );
      results.push(await this.collect(one, call));
    }
    return results;
  }

  private async submit(statement: string, count: number, call: Call): Promise<ResultSetBody> {
    const c = this.conn;
    const role = call.role ?? c.role;
    const payload = {
      statement,
      timeout: c.statementTimeoutSeconds,
      database: c.database,
      schema: c.schema,
      ...(c.warehouse && call.warehouse !== false ? { warehouse: c.warehouse } : {}),
      ...(role ? { role } : {}),
      parameters: { MULTI_STATEMENT_COUNT: String(count) },
    };
    // One requestId for every attempt of this submission: with retry=true on the re-sent ones, Snowflake
    // runs the statement at most once even when an earlier attempt ran it and only the answer was lost.
    return this.request('POST', `/api/v2/statements?requestId=${randomUUID()}`, payload, call);
  }

  /** Follows a 202 answer until the statement finished (200) or failed (422 and friends). */
  private async waitFor(first: ResultSetBody & { _status?: number }, call: Call): Promise<ResultSetBody> {
    let body = first;
    let delay = this.options.pollMs ?? 250;
    const deadline = Date.now() + (this.conn.statementTimeoutSeconds + 60) * 1000;
    while (body._status === 202) {
      if (Date.now() > deadline) {
        throw new SnowflakeError(
          `Snowflake did not finish while ${call.doing} within SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS (${this.conn.statementTimeoutSeconds} s): raise it or use a bigger warehouse.`,
          body.code,
          body.sqlState,
          1,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
      const url = body.statementStatusUrl ?? `/api/v2/statements/${body.statementHandle}`;
      body = await this.request('GET', url, undefined, call);
    }
    return body;
  }

  private async collect(first: ResultSetBody, call: Call): Promise<QueryResult> {
    const body = await this.waitFor(first, call);
    const columns = (body.resultSetMetaData?.rowType ?? []).map((r) => r.name);
    const rows = [...(body.data ?? [])];
    const partitions = body.resultSetMetaData?.partitionInfo?.length ?? 1;
    for (let p = 1; p < partitions; p++) {
      const part = await this.request(
        'GET',
        `/api/v2/statements/${encodeURIComponent(body.statementHandle ?? '')}?partition=${p}`,
        undefined,
        call,
      );
      rows.push(...(part.data ?? []));
    }
    return { columns, rows, statementHandle: body.statementHandle ?? '' };
  }

  private async request(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    payload: unknown,
    call: Call,
  ): Promise<ResultSetBody & { _status?: number }> {
    const url = `${this.conn.baseUrl}${pathAndQuery}`;
    let answer;
    try {
      answer = await sendWithRetries(
        (attempt) => ({
          // Every re-sent POST says so: without retry=true Snowflake may run the statement a second time.
          url: method === 'POST' && attempt > 0 ? `${url}&retry=true` : url,
          init: {
            method,
            headers: {
              Authorization: `Bearer ${this.jwt.token()}`,
              'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
              Accept: 'application/json',
              'User-Agent': USER_AGENT,
              ...(payload ? { 'Content-Type': 'application/json' } : {}),
            },
            body: payload ? JSON.stringify(payload) : undefined,
          },
        }),
        this.retry,
        (info) =>
          this.log.debug(
            { ...info, error: info.error ? String(info.error) : undefined },
            'Snowflake request retried',
          ),
      );
    } catch (err) {
      throw networkError(this.conn.baseUrl, err, call.doing, this.retry.requestTimeoutMs);
    }
    let body: ResultSetBody = {};
    try {
      body = answer.text ? (JSON.parse(answer.text) as ResultSetBody) : {};
    } catch {
      body = { message: answer.text.slice(0, 200) };
    }
    if (answer.status === 200 || answer.status === 202) return { ...body, _status: answer.status };
    throw explainSnowflakeError(
      { code: body.code, sqlState: body.sqlState, message: body.message, httpStatus: answer.status },
      {
        doing: call.doing,
        needs: call.needs,
        user: this.conn.user,
        role: call.role ?? this.conn.role,
        warehouse: this.conn.warehouse,
        statementTimeoutSeconds: this.conn.statementTimeoutSeconds,
      },
    );
  }
}

interface Call extends ExecuteOptions {
  doing: string;
}
