import type { SpotifySettings } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { stopRequested, stopSignal, StoppedError } from '../util/stop-request.js';
import { backoffMs, parseRetryAfter, sleep, withRetries, type RetryPolicy } from '../net/retry.js';
import { RateLimiter } from './rate-limiter.js';

/** Counters of one run's traffic with Spotify (the summary and the metrics read them). */
export class RequestStats {
  requests = 0;
  retries = 0;
  rateLimited = 0;
  rateLimitWaitMs = 0;
  /** `endpoint status` → count, e.g. `recently-played 200`. */
  readonly byEndpoint = new Map<string, number>();
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface RequestHooks {
  onResponse?: (endpoint: string, status: number, durationMs: number) => void;
  onRateLimited?: (endpoint: string, waitMs: number) => void;
}

/** Spotify's backoff for network errors and 5xx; maxRetries comes from SPOTIFY_MAX_RETRIES. */
export const SPOTIFY_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitter: 'full',
};

/** A failed attempt worth another one: the wait it asks for, and the error to throw when none is left. */
class RetryableAttempt extends PipelineError {
  constructor(
    message: string,
    readonly waitMs: number,
    readonly reason: string,
    readonly rateLimited: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, 1, { ...options, transient: true });
  }
}

/**
 * HTTP to Spotify with the transport concerns in one place: the rate ceiling, timeouts, retries with
 * backoff and jitter for network errors and 5xx, and 429 waits that honour Retry-After up to a cap.
 * Other statuses are returned to the caller, which knows what they mean for its endpoint.
 */
export class SpotifyHttp {
  readonly stats = new RequestStats();
  private readonly limiter: RateLimiter;

  constructor(
    private readonly settings: SpotifySettings,
    private readonly log: Logger,
    private readonly hooks: RequestHooks = {},
    /** A limiter shared with other clients of the same app (run-continuous: collections and the player). */
    limiter?: RateLimiter,
  ) {
    this.limiter = limiter ?? new RateLimiter(settings.rateLimitPerMinute);
  }

  async send(endpoint: string, url: string, init: RequestInit): Promise<HttpResponse> {
    const policy = { ...SPOTIFY_RETRY_POLICY, maxRetries: this.settings.maxRetries };
    return withRetries((attempt) => this.attempt(endpoint, url, init, attempt), {
      policy,
      isTransient: (err) => err instanceof RetryableAttempt,
      waitFor: (err) => (err as RetryableAttempt).waitMs,
      onRetry: ({ error, attempt }) => this.beforeRetry(endpoint, attempt, error as RetryableAttempt),
      sleep: (ms) => waitUnlessStopped(ms, endpoint),
    });
  }

  /** One exchange: the answer, or a RetryableAttempt that says how long to wait before the next one. */
  private async attempt(
    endpoint: string,
    url: string,
    init: RequestInit,
    attempt: number,
  ): Promise<HttpResponse> {
    const { maxRetryAfterSeconds, timeoutMs } = this.settings;
    const capMs = maxRetryAfterSeconds * 1000;
    await this.limiter.take();
    this.stats.requests++;
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `timed out after ${timeoutMs} ms`
          : describeNetworkError(err);
      this.count(endpoint, 'network_error', started);
      throw new RetryableAttempt(
        `Spotify ${endpoint} could not be reached (${reason}) after ${attempt + 1} attempts: check the network (and SPOTIFY_API_BASE_URL / SPOTIFY_ACCOUNTS_BASE_URL if set), then run again.`,
        Math.min(backoffMs(SPOTIFY_RETRY_POLICY, attempt), capMs),
        reason,
        false,
        { cause: err },
      );
    }
    this.count(endpoint, String(response.status), started);
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (status === 429) {
      this.stats.rateLimited++;
      // Without a Retry-After a 429 waits at least a second more than a 5xx would.
      const waitMs = retryAfterMs ?? backoffMs(SPOTIFY_RETRY_POLICY, attempt) + 1000;
      if (waitMs > capMs) {
        throw new PipelineError(
          `Spotify rate-limited ${endpoint} and asks to wait ${Math.ceil(waitMs / 1000)} s (Retry-After), more than SPOTIFY_MAX_RETRY_AFTER_SECONDS=${maxRetryAfterSeconds}. Stopping instead of sleeping that long: run again later, or raise SPOTIFY_MAX_RETRY_AFTER_SECONDS. Nothing collected was lost.`,
          1,
          { transient: true },
        );
      }
      throw new RetryableAttempt(
        `Spotify kept rate-limiting ${endpoint} (429) after ${attempt + 1} attempts: run again later.`,
        waitMs,
        'HTTP 429',
        true,
      );
    }
    if (status >= 500) {
      throw new RetryableAttempt(
        `Spotify ${endpoint} kept failing with HTTP ${status} after ${attempt + 1} attempts: Spotify is having trouble; run again later. Nothing collected was lost.`,
        Math.min(retryAfterMs ?? backoffMs(SPOTIFY_RETRY_POLICY, attempt), capMs),
        `HTTP ${status}`,
        false,
      );
    }
    return { status, headers: response.headers, text };
  }

  private count(endpoint: string, status: string, started: number) {
    const key = `${endpoint} ${status}`;
    this.stats.byEndpoint.set(key, (this.stats.byEndpoint.get(key) ?? 0) + 1);
    this.hooks.onResponse?.(endpoint, Number(status) || 0, Date.now() - started);
  }

  private beforeRetry(endpoint: string, attempt: number, failure: RetryableAttempt) {
    const { waitMs, reason } = failure;
    this.stats.retries++;
    if (!failure.rateLimited) {
      this.log.warn(
        { endpoint, attempt: attempt + 1, waitMs, reason },
        'transient Spotify failure: retrying',
      );
      return;
    }
    this.log.warn({ endpoint, waitMs, attempt }, 'Spotify rate limit (429): waiting as Retry-After asks');
    this.stats.rateLimitWaitMs += waitMs;
    this.hooks.onRateLimited?.(endpoint, waitMs);
    // Spotify's rate window is the app's: every client sharing this limiter waits too.
    this.limiter.hold(waitMs);
  }
}

/**
 * A retry wait (up to SPOTIFY_MAX_RETRY_AFTER_SECONDS, 300 s by default) that SIGINT/SIGTERM ends early: a
 * stopping container must not sit out a long Retry-After until it is killed with the lease still held.
 */
async function waitUnlessStopped(ms: number, endpoint: string): Promise<void> {
  await sleep(ms, stopSignal());
  const signal = stopRequested();
  if (signal) throw new StoppedError(signal, `while waiting to retry Spotify ${endpoint}`);
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
