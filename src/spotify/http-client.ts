import type { SpotifySettings } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { stopRequested, stopSignal, StoppedError } from '../util/stop-request.js';
import { RateLimiter, sleep } from './rate-limiter.js';

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

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Full jitter (AWS architecture blog): spreads retries of many clients; capped exponential. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt));
}

/** Retry-After is seconds (Spotify) or an HTTP date (RFC 9110); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
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
    const { maxRetries, maxRetryAfterSeconds, timeoutMs } = this.settings;
    for (let attempt = 0; ; attempt++) {
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
        if (attempt >= maxRetries) {
          throw new PipelineError(
            `Spotify ${endpoint} could not be reached (${reason}) after ${attempt + 1} attempts: check the network (and SPOTIFY_API_BASE_URL / SPOTIFY_ACCOUNTS_BASE_URL if set), then run again.`,
            1,
            { cause: err },
          );
        }
        await this.retryWait(endpoint, attempt, reason, null);
        continue;
      }
      this.count(endpoint, String(response.status), started);
      const status = response.status;
      if (status === 429) {
        this.stats.rateLimited++;
        const waitMs = parseRetryAfter(response.headers.get('retry-after')) ?? backoffMs(attempt) + 1000;
        if (waitMs > maxRetryAfterSeconds * 1000) {
          throw new PipelineError(
            `Spotify rate-limited ${endpoint} and asks to wait ${Math.ceil(waitMs / 1000)} s (Retry-After), more than SPOTIFY_MAX_RETRY_AFTER_SECONDS=${maxRetryAfterSeconds}. Stopping instead of sleeping that long: run again later, or raise SPOTIFY_MAX_RETRY_AFTER_SECONDS. Nothing collected was lost.`,
            1,
          );
        }
        if (attempt >= maxRetries) {
          throw new PipelineError(
            `Spotify kept rate-limiting ${endpoint} (429) after ${attempt + 1} attempts: run again later.`,
            1,
          );
        }
        this.log.warn({ endpoint, waitMs, attempt }, 'Spotify rate limit (429): waiting as Retry-After asks');
        this.stats.rateLimitWaitMs += waitMs;
        this.hooks.onRateLimited?.(endpoint, waitMs);
        this.stats.retries++;
        this.limiter.hold(waitMs);
        await waitUnlessStopped(waitMs, endpoint);
        continue;
      }
      if (status >= 500) {
        if (attempt >= maxRetries) {
          throw new PipelineError(
            `Spotify ${endpoint} kept failing with HTTP ${status} after ${attempt + 1} attempts: Spotify is having trouble; run again later. Nothing collected was lost.`,
            1,
          );
        }
        await this.retryWait(
          endpoint,
          attempt,
          `HTTP ${status}`,
          parseRetryAfter(response.headers.get('retry-after')),
        );
        continue;
      }
      return { status, headers: response.headers, text };
    }
  }

  private count(endpoint: string, status: string, started: number) {
    const key = `${endpoint} ${status}`;
    this.stats.byEndpoint.set(key, (this.stats.byEndpoint.get(key) ?? 0) + 1);
    this.hooks.onResponse?.(endpoint, Number(status) || 0, Date.now() - started);
  }

  private async retryWait(endpoint: string, attempt: number, reason: string, retryAfterMs: number | null) {
    const waitMs = Math.min(retryAfterMs ?? backoffMs(attempt), this.settings.maxRetryAfterSeconds * 1000);
    this.stats.retries++;
    this.log.warn({ endpoint, attempt: attempt + 1, waitMs, reason }, 'transient Spotify failure: retrying');
    await waitUnlessStopped(waitMs, endpoint);
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
