/**
 * The one retry vocabulary of the pipeline: how long to wait before another attempt, what a server's
 * Retry-After means, and the loop that gives up. Each client (Spotify, Snowflake's SQL API and Snowpipe REST,
 * the S3 conditional writes, the state's conflict loops) keeps only its classifier: which failures are worth
 * another attempt. docs/operations.md has the table of what is retried, how long, and when it gives up.
 */

export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** First backoff; doubled each attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * `full`: a random wait up to the backoff (many clients of one server spread out; AWS architecture blog,
   * "Exponential Backoff And Jitter"). `half`: the backoff times 0.5 to 1.5 (two writers of one key that
   * collided do not collide again). `none`: exactly the backoff (one client, nothing to spread).
   */
  jitter: 'full' | 'half' | 'none';
}

/** The wait before attempt `attempt + 1` (attempt counts from 0). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  // The exponent is capped so that a long loop (the local lock waits without limit) never overflows.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  switch (policy.jitter) {
    case 'full':
      return Math.round(random() * ceiling);
    case 'half':
      return ceiling * (0.5 + random());
    case 'none':
      return ceiling;
  }
}

/** Retry-After is seconds or an HTTP date (RFC 9110); null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** Resolves after `ms`, or as soon as `signal` aborts (the caller checks why it woke). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryInfo {
  /** The attempt that failed, from 0. */
  attempt: number;
  error: unknown;
  waitMs: number;
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Is this failure worth another attempt? Anything else is thrown at once. */
  isTransient: (err: unknown) => boolean;
  /** The wait the failure itself asks for (a Retry-After); undefined: the policy's backoff. */
  waitFor?: (err: unknown, attempt: number) => number | undefined;
  /** Called before each wait: logging, counters, re-reading what another writer changed. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  /** How to wait (tests record the waits; Spotify's wait ends early on SIGTERM). */
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

/**
 * Calls `fn(attempt)` until it succeeds, fails with something not transient, or the retries are spent; then
 * the last failure is thrown as it came, so the caller's message for it stands.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, isTransient } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.maxRetries || !isTransient(err)) throw err;
      const waitMs = options.waitFor?.(err, attempt) ?? backoffMs(policy, attempt, options.random);
      await options.onRetry?.({ attempt, error: err, waitMs });
      // A caller's own sleep always runs, even for 0 ms: it may be where a stop request is noticed.
      if (options.sleep) await options.sleep(waitMs);
      else if (waitMs > 0) await sleep(waitMs);
    }
  }
}
