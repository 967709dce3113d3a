import { createHash, randomUUID, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { needsWarehouse, NO_WAREHOUSE, reservedWordError } from './fake-sql-rules.js';

/**
 * A fake of Snowflake's SQL API and Snowpipe REST API on 127.0.0.1, written from the API reference:
 * POST /api/v2/statements (200 ResultSet, 202 QueryStatus + polling, 408 when the statement outlasts the
 * request's `timeout`, 422 QueryFailureStatus, multi-statement with statementHandles, partitions), key-pair JWT
 * checked against a registered public key, POST /v1/data/pipes/<pipe>/insertFiles and GET .../insertReport.
 *
 * Resubmission follows "Submitting a request": a POST that carries the requestId of an earlier one AND
 * retry=true is not executed again (the earlier statement's result is returned); without retry=true it is
 * executed again, which is how a client that forgets the flag runs a COPY twice. `faults` injects what a
 * network does: busy answers (429/5xx with Retry-After), a connection dropped before or after the statement
 * ran, and a request that is executed but never answered (the client times out).
 *
 * Like an account it refuses (fake-sql-rules.ts): an unquoted reserved word as a column name (001003); with
 * `warehouseUsage` set, a statement that needs a warehouse when the request names none the role may use (391920;
 * "Executing multiple statements in a single query requires that a valid warehouse is available in a session",
 * so a multi-statement request always needs one). A multi-statement request runs its statements in order and
 * stops at the first that fails: that error is the answer (422), the statements after it never run.
 */
export interface FakeAnswer {
  columns?: string[];
  rows?: (string | null)[][];
  error?: { code: string; sqlState: string; message: string };
  /** How many times a poll answers 202 before the result is ready (0: synchronous). */
  asyncPolls?: number;
  /** How long the statement would run; longer than the request's `timeout` answers 408 and is cancelled. */
  runSeconds?: number;
}

/** Who sends a statement: the role and warehouse of the request body (the SQL API takes them per request). */
export interface StatementContext {
  role?: string;
  warehouse?: string;
}

export type StatementHandler = (sql: string, ctx: StatementContext) => FakeAnswer | undefined;

/** What happens to the next POST /api/v2/statements. */
export type Fault =
  | { status: 429 | 500 | 502 | 503 | 504; retryAfter?: string }
  | { drop: 'before' | 'after' }
  | { hang: 'after' };

interface Stored {
  answer: FakeAnswer;
  pollsLeft: number;
  pages: (string | null)[][][];
}

export interface FakeRequestLog {
  method: string;
  path: string;
  body?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

export class FakeSnowflake {
  readonly statements: string[] = [];
  /** The role each statement of `statements` ran under. */
  readonly statementRoles: (string | undefined)[] = [];
  readonly requests: FakeRequestLog[] = [];
  /** Consumed one per POST /api/v2/statements, in order. */
  faults: Fault[] = [];
  readonly insertFiles: { pipe: string; files: string[] }[] = [];
  insertFilesFailures = 0;
  /**
   * The PATTERN of the pipes' COPY: with one, insertFiles lists the paths it skipped in `unmatchedPatternFiles`
   * ("lists any files submitted … that did not match the regular expression and were therefore skipped",
   * Snowpipe REST API), as an array of the paths.
   */
  pipePattern?: RegExp;
  insertReport: Record<string, unknown> = { files: [], completeResult: true };
  partitionSize = 1000;
  /**
   * Which warehouses each role may use (USAGE). Unset: every warehouse named is usable. A named warehouse the
   * role may not use is treated as none (Snowflake's behaviour there is not documented; DDL needs none anyway).
   */
  warehouseUsage?: Record<string, string[]>;
  /** The user's DEFAULT_WAREHOUSE, used when a request names none (undefined: the user has none). */
  defaultWarehouse: string | undefined = 'USER_DEFAULT_WH';
  /** The warehouse each statement of `statements` ran with (after the usage check), or undefined. */
  readonly statementWarehouses: (string | undefined)[] = [];
  private readonly stored = new Map<string, Stored>();
  /** requestId → the answer of the submission that executed it. */
  private readonly byRequestId = new Map<string, CapturingResponse>();
  private server?: http.Server;

  constructor(
    private readonly publicKey: KeyObject,
    private readonly account: string,
    private readonly user: string,
    public handler: StatementHandler = () => undefined,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString('utf8')));
      req.on('end', () => {
        try {
          this.route(req, data, res);
        } catch (err) {
          send(res, 500, { message: String(err) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    // Requests held open by a `hang` fault would keep close() waiting.
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The fingerprint computed here, independently of the code under test. */
  fingerprint(): string {
    const der = this.publicKey.export({ type: 'spki', format: 'der' });
    return `SHA256:${createHash('sha256').update(der).digest('base64')}`;
  }

  private checkJwt(req: http.IncomingMessage): Record<string, unknown> | undefined {
    const auth = req.headers.authorization ?? '';
    if (req.headers['x-snowflake-authorization-token-type'] !== 'KEYPAIR_JWT') return undefined;
    const token = auth.replace(/^Bearer /, '');
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return undefined;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    if (header.alg !== 'RS256') return undefined;
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, 'base64url'));
    if (!ok) return undefined;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number | string>;
    const qualified = `${this.account}.${this.user}`;
    const now = Math.floor(Date.now() / 1000);
    if (claims.sub !== qualified) return undefined;
    if (claims.iss !== `${qualified}.${this.fingerprint()}`) return undefined;
    const exp = Number(claims.exp);
    const iat = Number(claims.iat);
    if (!(exp > now) || exp - iat > 3600 || iat > now + 60) return undefined;
    return claims;
  }

  private route(req: http.IncomingMessage, data: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = data ? (JSON.parse(data) as Record<string, unknown>) : undefined;
    const claims = this.checkJwt(req);
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body, claims });
    if (!claims) {
      send(res, 401, { code: '390144', message: `JWT token is invalid. [${randomUUID()}]` });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/statements')
      return this.submitWithFaults(url, body ?? {}, res);
    const status = /^\/api\/v2\/statements\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && status) return this.poll(status[1]!, url.searchParams.get('partition'), res);
    const pipe = /^\/v1\/data\/pipes\/([^/]+)\/(insertFiles|insertReport)$/.exec(url.pathname);
    if (pipe && req.method === 'POST' && pipe[2] === 'insertFiles') {
      if (this.insertFilesFailures > 0) {
        this.insertFilesFailures--;
        send(res, 503, { message: 'Service Unavailable' });
        return;
      }
      const files = ((body?.files ?? []) as { path: string }[]).map((f) => f.path);
      const unmatched = this.pipePattern ? files.filter((f) => !this.pipePattern!.test(f)) : [];
      this.insertFiles.push({ pipe: decodeURIComponent(pipe[1]!), files });
      send(res, 200, {
        requestId: url.searchParams.get('requestId'),
        responseCode: 'SUCCESS',
        ...(unmatched.length ? { unmatchedPatternFiles: unmatched } : {}),
      });
      return;
    }
    if (pipe && req.method === 'GET' && pipe[2] === 'insertReport') {
      send(res, 200, { pipe: decodeURIComponent(pipe[1]!), nextBeginMark: '1_1', ...this.insertReport });
      return;
    }
    send(res, 404, { message: 'not found' });
  }

  private submitWithFaults(url: URL, body: Record<string, unknown>, res: http.ServerResponse): void {
    const fault = this.faults.shift();
    if (fault && 'status' in fault) {
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({ message: fault.status === 429 ? 'Too many requests' : 'Service Unavailable' }),
      );
      return;
    }
    if (fault && 'drop' in fault && fault.drop === 'before') {
      res.socket?.destroy();
      return;
    }
    const requestId = url.searchParams.get('requestId');
    const earlier = requestId ? this.byRequestId.get(requestId) : undefined;
    let capture: CapturingResponse;
    if (earlier && url.searchParams.get('retry') === 'true') {
      // Already executed: answer with its current state, do not run it again.
      capture = earlier;
    } else {
      capture = new CapturingResponse();
      this.submit(body, capture);
      if (requestId) this.byRequestId.set(requestId, capture);
    }
    if (fault && ('drop' in fault || 'hang' in fault)) {
      // The statement ran; its answer is lost (dropped) or never comes (hang: the client times out).
      if ('drop' in fault) res.socket?.destroy();
      return;
    }
    if (capture.handle && this.stored.has(capture.handle)) this.poll(capture.handle, null, res);
    else send(res, capture.status, capture.body);
  }

  private submit(body: Record<string, unknown>, res: Responder): void {
    const statement = String(body.statement ?? '');
    const count = Number(
      (body.parameters as Record<string, string> | undefined)?.MULTI_STATEMENT_COUNT ?? '1',
    );
    const parts = splitStatements(statement);
    if (count !== 0 && count !== parts.length) {
      res.answer(422, {
        code: '000008',
        sqlState: '0A000',
        message: `Actual statement count ${parts.length} did not match the desired statement count ${count}.`,
        statementHandle: randomUUID(),
      });
      return;
    }
    const handles: string[] = [];
    const ctx: StatementContext = {
      role: typeof body.role === 'string' ? body.role : undefined,
      warehouse: typeof body.warehouse === 'string' ? body.warehouse : undefined,
    };
    const timeout = typeof body.timeout === 'number' && body.timeout > 0 ? body.timeout : undefined;
    const named = ctx.warehouse ?? this.defaultWarehouse;
    const usable =
      named && (!this.warehouseUsage || (this.warehouseUsage[ctx.role ?? ''] ?? []).includes(named))
        ? named
        : undefined;
    if (parts.length > 1 && !usable) {
      res.answer(422, { ...NO_WAREHOUSE, statementHandle: randomUUID() });
      return;
    }
    for (const sql of parts) {
      this.statements.push(sql);
      this.statementRoles.push(ctx.role);
      this.statementWarehouses.push(usable);
      const refused = reservedWordError(sql) ?? (needsWarehouse(sql) && !usable ? NO_WAREHOUSE : undefined);
      const answer = (refused ? { error: refused } : this.handler(sql, { ...ctx, warehouse: usable })) ?? {
        columns: ['status'],
        rows: [['Statement executed successfully.']],
      };
      if (timeout !== undefined && (answer.runSeconds ?? 0) > timeout) {
        const handle = randomUUID();
        res.answer(408, {
          code: '000630',
          sqlState: '57014',
          message: `Statement reached its statement or warehouse timeout of ${timeout} second(s) and was canceled.`,
          statementHandle: handle,
          statementStatusUrl: `/api/v2/statements/${handle}`,
        });
        return;
      }
      const handle = randomUUID();
      const rows = answer.rows ?? [];
      const pages: (string | null)[][][] = [];
      for (let i = 0; i < Math.max(rows.length, 1); i += this.partitionSize)
        pages.push(rows.slice(i, i + this.partitionSize));
      this.stored.set(handle, { answer, pollsLeft: answer.asyncPolls ?? 0, pages });
      handles.push(handle);
      if (answer.error) {
        res.answer(422, {
          ...answer.error,
          statementHandle: handle,
          statementStatusUrl: `/api/v2/statements/${handle}`,
        });
        return;
      }
    }
    if (parts.length === 1) {
      res.pollOf(handles[0]!);
      return;
    }
    const handle = randomUUID();
    res.answer(200, {
      ...resultSet(
        handle,
        ['multiple statement execution'],
        [['Multiple statements executed successfully.']],
        1,
      ),
      statementHandles: handles,
    });
  }

  private poll(handle: string, partition: string | null, res: http.ServerResponse): void {
    const s = this.stored.get(handle);
    if (!s) {
      send(res, 404, { code: '000709', message: `Statement ${handle} not found` });
      return;
    }
    if (s.pollsLeft > 0) {
      s.pollsLeft--;
      send(res, 202, {
        code: '333334',
        message:
          'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
        statementHandle: handle,
        statementStatusUrl: `/api/v2/statements/${handle}`,
      });
      return;
    }
    if (partition !== null) {
      send(res, 200, { data: s.pages[Number(partition)] ?? [] });
      return;
    }
    const columns = s.answer.columns ?? ['status'];
    const result = resultSet(handle, columns, s.pages[0] ?? [], s.pages.length);
    result.resultSetMetaData.numRows = (s.answer.rows ?? []).length;
    send(res, 200, result);
  }
}

/** Where submit() puts its answer: a status and body, or "what a poll of this handle says". */
interface Responder {
  answer(status: number, body: unknown): void;
  pollOf(handle: string): void;
}

/** Holds submit()'s answer so that it can be remembered under the requestId, then sent (or lost). */
class CapturingResponse implements Responder {
  status = 500;
  body: unknown = {};
  handle?: string;

  answer(status: number, body: unknown): void {
    this.status = status;
    this.body = body;
  }

  pollOf(handle: string): void {
    this.handle = handle;
  }
}

function resultSet(handle: string, columns: string[], firstPage: (string | null)[][], partitions: number) {
  return {
    resultSetMetaData: {
      numRows: firstPage.length,
      format: 'jsonv2',
      partitionInfo: Array.from({ length: partitions }, () => ({ rowCount: 0, uncompressedSize: 0 })),
      rowType: columns.map((name) => ({ name: name.toUpperCase(), type: 'text', nullable: true })),
    },
    data: firstPage,
    code: '090001',
    statementStatusUrl: `/api/v2/statements/${handle}`,
    requestId: randomUUID(),
    sqlState: '00000',
    statementHandle: handle,
    message: 'Statement executed successfully.',
    createdOn: Date.now(),
  };
}

/** Splits on semicolons outside quotes (enough for the statements this project sends). */
function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
