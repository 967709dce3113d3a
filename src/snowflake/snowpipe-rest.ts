import { randomUUID } from 'node:crypto';
import { explainSnowflakeError, networkError } from './errors.js';
import { DEFAULT_RETRY_POLICY, sendWithRetries, type SnowflakeRetryPolicy } from './retry-policy.js';
import type { SnowflakeConnection } from './settings.js';

export interface InsertReportFile {
  path: string;
  stageLocation?: string;
  fileSize?: number;
  timeReceived?: string;
  lastInsertTime?: string;
  rowsInserted?: number;
  rowsParsed?: number;
  errorsSeen?: number;
  firstError?: string;
  complete?: boolean;
  status?: string;
}

export interface InsertReport {
  pipe?: string;
  completeResult?: boolean;
  nextBeginMark?: string;
  files: InsertReportFile[];
}

/** insertFiles takes at most 5,000 paths per request. */
const MAX_FILES = 5000;

/**
 * Snowpipe's REST API (for pipes with AUTO_INGEST = FALSE), with the same key-pair JWT as the SQL API.
 * Paths are relative to the stage's URL. Snowpipe itself skips a path it loaded in the last 14 days,
 * so telling it twice about one file is harmless.
 */
export class SnowpipeRestClient {
  private readonly retry: SnowflakeRetryPolicy;

  constructor(
    private readonly conn: SnowflakeConnection,
    private readonly token: () => string,
    retry: Partial<SnowflakeRetryPolicy> = {},
  ) {
    // Fewer attempts than the SQL API: a failed call is queued and sent again with the next object.
    this.retry = { ...DEFAULT_RETRY_POLICY, maxRetries: 3, requestTimeoutMs: 60_000, ...retry };
  }

  /**
   * Tells the pipe about the paths; returns those Snowpipe skipped because they do not match the pipe's PATTERN
   * ("the `unmatchedPatternFiles` attribute lists any files submitted in the request that did not match the
   * regular expression and were therefore skipped", Snowpipe REST API reference).
   */
  async insertFiles(pipe: string, paths: string[]): Promise<{ unmatched: string[] }> {
    const unmatched: string[] = [];
    for (let i = 0; i < paths.length; i += MAX_FILES) {
      const files = paths.slice(i, i + MAX_FILES).map((path) => ({ path }));
      const body = (await this.call(
        'POST',
        `/v1/data/pipes/${encodeURIComponent(pipe)}/insertFiles?requestId=${randomUUID()}`,
        { files },
        `telling ${pipe} about ${files.length} new file(s)`,
      )) as { unmatchedPatternFiles?: ({ path?: string } | string)[] };
      for (const f of body.unmatchedPatternFiles ?? [])
        unmatched.push(typeof f === 'string' ? f : String(f.path ?? ''));
    }
    return { unmatched };
  }

  async insertReport(pipe: string): Promise<InsertReport> {
    const body = (await this.call(
      'GET',
      `/v1/data/pipes/${encodeURIComponent(pipe)}/insertReport?requestId=${randomUUID()}`,
      undefined,
      `reading the insert report of ${pipe}`,
    )) as Partial<InsertReport>;
    return { ...body, files: body.files ?? [] };
  }

  private async call(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    payload: unknown,
    doing: string,
  ): Promise<unknown> {
    let answer;
    try {
      // The Snowpipe REST API has no retry flag: insertFiles is safe to repeat (Snowpipe skips a path it
      // loaded in the last 14 days), so re-sent requests keep their requestId and nothing else changes.
      answer = await sendWithRetries(
        () => ({
          url: `${this.conn.baseUrl}${pathAndQuery}`,
          init: {
            method,
            headers: {
              Authorization: `Bearer ${this.token()}`,
              'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
              Accept: 'application/json',
              ...(payload ? { 'Content-Type': 'application/json' } : {}),
            },
            body: payload ? JSON.stringify(payload) : undefined,
          },
        }),
        this.retry,
      );
    } catch (err) {
      throw networkError(this.conn.baseUrl, err, doing, this.retry.requestTimeoutMs);
    }
    let body: Record<string, unknown> = {};
    try {
      body = answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
    } catch {
      body = { message: answer.text.slice(0, 200) };
    }
    if (answer.status >= 200 && answer.status < 300) return body;
    throw explainSnowflakeError(
      {
        code: body.code as string | undefined,
        message: body.message as string | undefined,
        httpStatus: answer.status,
      },
      // The Snowpipe REST API always runs as the user's DEFAULT_ROLE, not SNOWFLAKE_ROLE.
      {
        doing,
        api: 'snowpipe',
        user: this.conn.user,
        needs:
          "OPERATE on the pipe for insertFiles, MONITOR for insertReport (GRANT OPERATE, MONITOR ON PIPE <pipe> TO ROLE <role>), and that role as the user's DEFAULT_ROLE.",
      },
    );
  }
}
