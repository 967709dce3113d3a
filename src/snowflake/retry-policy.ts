import {
  backoffMs,
  parseRetryAfter,
  sleep,
  withRetries,
  type RetryInfo,
  type RetryPolicy,
} from '../net/retry.js';

/**
 * How Snowflake's HTTP APIs (SQL API, Snowpipe REST) are retried: which answers are worth another attempt.
 * How long to wait and when to give up is src/net/retry.ts.
 */
export interface SnowflakeRetryPolicy extends RetryPolicy {
  /** A request with no answer by then is abandoned (and retried): a client timeout. */
  requestTimeoutMs: number;
  /** Waits between attempts (tests record the delays instead of waiting). */
  sleep: (ms: number) => Promise<unknown>;
}

export const DEFAULT_RETRY_POLICY: SnowflakeRetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  // One client per run: nothing to spread, and the tests read the exact waits.
  jitter: 'none',
  // The SQL API answers within 45 s (a longer statement comes back as 202 and is polled), so two minutes
  // without an answer means the connection is gone.
  requestTimeoutMs: 120_000,
  sleep: (ms) => sleep(ms),
};

/**
 * Busy or failing servers: worth the same request again. 408 is not here: on the SQL API it means the statement
 * ran into its timeout and was cancelled, and sending it again would only run into the same timeout.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Retry-After is honoured up to this; beyond it the caller gives up rather than hang for hours. */
const MAX_RETRY_AFTER_MS = 60_000;

/** A DNS failure will not heal by retrying: report it at once (it is almost always a wrong SNOWFLAKE_ACCOUNT). */
export function isPermanentNetworkError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code === 'ENOTFOUND';
}

export interface SentRequest {
  url: string;
  init: RequestInit;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** An answer worth another attempt; handed back as it is when the retries are spent. */
class RetryableAnswer {
  constructor(readonly answer: Answer) {}
}

/**
 * Sends a request until it gets an answer that is not worth retrying, or the retries are spent.
 * `build(attempt)` makes each attempt's request: it is called again for every attempt, so a caller can mark a
 * re-sent request (the SQL API's `retry=true`). A dropped connection, a reset while reading the body and a client
 * timeout are all "no answer" and retried the same way; the last such error is thrown when the retries are spent.
 */
export async function sendWithRetries(
  build: (attempt: number) => SentRequest,
  policy: SnowflakeRetryPolicy,
  onRetry?: (info: { attempt: number; status?: number; error?: unknown }) => void,
): Promise<Answer> {
  try {
    return await withRetries(
      async (attempt) => {
        const { url, init } = build(attempt);
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(policy.requestTimeoutMs) });
        // Reading the body is part of the exchange: a connection cut mid-body is no answer either.
        const answer = { status: res.status, headers: res.headers, text: await res.text() };
        if (RETRYABLE_STATUSES.has(answer.status)) throw new RetryableAnswer(answer);
        return answer;
      },
      {
        policy,
        isTransient: (err) => err instanceof RetryableAnswer || !isPermanentNetworkError(err),
        waitFor: (err, attempt) => {
          if (!(err instanceof RetryableAnswer)) return undefined;
          const retryAfter = parseRetryAfter(err.answer.headers.get('retry-after'));
          return retryAfter === null ? backoffMs(policy, attempt) : Math.min(retryAfter, MAX_RETRY_AFTER_MS);
        },
        onRetry: ({ attempt, error }: RetryInfo) =>
          onRetry?.(
            error instanceof RetryableAnswer ? { attempt, status: error.answer.status } : { attempt, error },
          ),
        sleep: policy.sleep,
      },
    );
  } catch (err) {
    if (err instanceof RetryableAnswer) return err.answer;
    throw err;
  }
}
