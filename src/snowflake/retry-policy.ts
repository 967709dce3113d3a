import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How Snowflake's HTTP APIs (SQL API, Snowpipe REST) are retried: the one place that decides which answers are
 * worth another attempt, how long to wait, and when to give up.
 */
export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** First backoff; doubled each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A request with no answer by then is abandoned (and retried): a client timeout. */
  requestTimeoutMs: number;
  /** Waits between attempts (tests record the delays instead of waiting). */
  sleep: (ms: number) => Promise<unknown>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5000,
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

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
}

/** The wait before the next attempt: Retry-After (seconds) when the server sent one, else the backoff. */
export function delayMs(policy: RetryPolicy, attempt: number, retryAfter: string | null): number {
  const seconds = Number(retryAfter);
  if (retryAfter && Number.isFinite(seconds) && seconds >= 0)
    return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  return backoffMs(policy, attempt);
}

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

/**
 * Sends a request until it gets an answer that is not worth retrying, or the retries are spent.
 * `build(attempt)` makes each attempt's request: it is called again for every attempt, so a caller can mark a
 * re-sent request (the SQL API's `retry=true`). A dropped connection, a reset while reading the body and a client
 * timeout are all "no answer" and retried the same way; the last such error is thrown when the retries are spent.
 */
export async function sendWithRetries(
  build: (attempt: number) => SentRequest,
  policy: RetryPolicy,
  onRetry?: (info: { attempt: number; status?: number; error?: unknown }) => void,
): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const { url, init } = build(attempt);
    let answer: Answer;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(policy.requestTimeoutMs) });
      // Reading the body is part of the exchange: a connection cut mid-body is no answer either.
      answer = { status: res.status, headers: res.headers, text: await res.text() };
    } catch (err) {
      if (attempt >= policy.maxRetries || isPermanentNetworkError(err)) throw err;
      onRetry?.({ attempt, error: err });
      await policy.sleep(backoffMs(policy, attempt));
      continue;
    }
    if (RETRYABLE_STATUSES.has(answer.status) && attempt < policy.maxRetries) {
      onRetry?.({ attempt, status: answer.status });
      await policy.sleep(delayMs(policy, attempt, answer.headers.get('retry-after')));
      continue;
    }
    return answer;
  }
}
