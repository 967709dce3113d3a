import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { explainSnowflakeError, networkError } from './errors.js';
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
  constructor(
    private readonly conn: SnowflakeConnection,
    private readonly token: () => string,
  ) {}

  async insertFiles(pipe: string, paths: string[]): Promise<void> {
    for (let i = 0; i < paths.length; i += MAX_FILES) {
      const files = paths.slice(i, i + MAX_FILES).map((path) => ({ path }));
      await this.call(
        'POST',
        `/v1/data/pipes/${encodeURIComponent(pipe)}/insertFiles?requestId=${randomUUID()}`,
        { files },
        `telling ${pipe} about ${files.length} new file(s)`,
      );
    }
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
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.conn.baseUrl}${pathAndQuery}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.token()}`,
            'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': 'application/json' } : {}),
          },
          body: payload ? JSON.stringify(payload) : undefined,
          signal: AbortSignal.timeout(60_000),
        });
      } catch (err) {
        if (attempt < 3) {
          await sleep(200 * 2 ** attempt);
          continue;
        }
        throw networkError(this.conn.baseUrl, err, doing);
      }
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { message: text.slice(0, 200) };
      }
      if (res.ok) return body;
      if ([429, 500, 502, 503, 504].includes(res.status) && attempt < 3) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      throw explainSnowflakeError(
        {
          code: body.code as string | undefined,
          message: body.message as string | undefined,
          httpStatus: res.status,
        },
        { doing, user: this.conn.user, role: this.conn.role },
      );
    }
  }
}
