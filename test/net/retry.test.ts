import { describe, expect, it } from 'vitest';
import { CONDITIONAL_CONFLICT_RETRY, retryWhileConflicting, s3Error } from '../../src/aws/s3-client.js';
import { ConfigError, PipelineError } from '../../src/errors.js';
import { backoffMs, parseRetryAfter, sleep, withRetries, type RetryPolicy } from '../../src/net/retry.js';
import { explainSnowflakeError, networkError } from '../../src/snowflake/errors.js';

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxRetries: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  jitter: 'none',
  ...over,
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap, for each kind of jitter', () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffMs(policy(), a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffMs(policy({ jitter: 'full' }), 2, () => 0.25)).toBe(100);
    expect(backoffMs(policy({ jitter: 'full' }), 2, () => 1)).toBe(400);
    expect(backoffMs(policy({ jitter: 'half' }), 2, () => 0)).toBe(200);
    expect(backoffMs(policy({ jitter: 'half' }), 2, () => 1)).toBe(600);
  });
  it('stays finite for a loop that never gives up', () => {
    expect(backoffMs(policy({ maxRetries: Infinity, maxDelayMs: 200 }), 5000)).toBe(200);
  });
  it('the 409 retry of conditional writes waits 25-75 ms doubling, as before', () => {
    expect(backoffMs(CONDITIONAL_CONFLICT_RETRY, 0, () => 0)).toBe(25);
    expect(backoffMs(CONDITIONAL_CONFLICT_RETRY, 4, () => 1)).toBe(1200);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds (rounded up to a millisecond) or an HTTP date; null for anything else', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.0015')).toBe(2);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 4_000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});

describe('withRetries', () => {
  it('retries a transient failure with the backoff until it succeeds', async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const result = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw new Error('busy');
        return 'done';
      },
      { policy: policy(), isTransient: () => true, sleep: async (ms) => waits.push(ms) },
    );
    expect(result).toBe('done');
    expect(seen).toEqual([0, 1, 2]);
    expect(waits).toEqual([100, 200]);
  });
  it('gives up after maxRetries with the last failure as it came', async () => {
    let calls = 0;
    const retried: number[] = [];
    const failing = withRetries(
      async (attempt) => {
        calls++;
        throw new Error(`attempt ${attempt}`);
      },
      {
        policy: policy({ maxRetries: 2 }),
        isTransient: () => true,
        onRetry: ({ attempt }) => void retried.push(attempt),
        sleep: async () => undefined,
      },
    );
    await expect(failing).rejects.toThrow('attempt 2');
    expect(calls).toBe(3);
    expect(retried).toEqual([0, 1]);
  });
  it('throws a failure that is not transient at once', async () => {
    let calls = 0;
    const failing = withRetries(
      async () => {
        calls++;
        throw new ConfigError('wrong setting');
      },
      { policy: policy(), isTransient: (err) => !(err instanceof ConfigError), sleep: async () => undefined },
    );
    await expect(failing).rejects.toBeInstanceOf(ConfigError);
    expect(calls).toBe(1);
  });
  it('waits as the failure asks (Retry-After) when it says so, else the backoff', async () => {
    const waits: number[] = [];
    await withRetries(
      async (attempt) => {
        if (attempt === 0) throw Object.assign(new Error('429'), { retryAfterMs: 3000 });
        if (attempt === 1) throw new Error('503');
        return undefined;
      },
      {
        policy: policy(),
        isTransient: () => true,
        waitFor: (err) => (err as { retryAfterMs?: number }).retryAfterMs,
        sleep: async (ms) => waits.push(ms),
      },
    );
    expect(waits).toEqual([3000, 200]);
  });
  it('a conditional write answered 409 is tried again; a 412 is not', async () => {
    const conflict = Object.assign(new Error('conflict'), { $metadata: { httpStatusCode: 409 } });
    const exists = Object.assign(new Error('exists'), { $metadata: { httpStatusCode: 412 } });
    let calls = 0;
    expect(
      await retryWhileConflicting(async () => {
        if (++calls < 3) throw conflict;
        return 'written';
      }),
    ).toBe('written');
    calls = 0;
    await expect(
      retryWhileConflicting(async () => {
        calls++;
        throw exists;
      }),
    ).rejects.toBe(exists);
    expect(calls).toBe(1);
  });
});

describe('sleep', () => {
  it('ends as soon as its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('transient', () => {
  it('is false unless a client says so', () => {
    expect(new PipelineError('x').transient).toBe(false);
    expect(new ConfigError('x').transient).toBe(false);
    expect(new PipelineError('x', 1, { transient: true }).transient).toBe(true);
  });
  it('Snowflake: busy or unreachable is transient; an unknown host or a refusal is not', () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const unknownHost = Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    expect(networkError('https://x', refused, 'testing').transient).toBe(true);
    expect(networkError('https://x', unknownHost, 'testing').transient).toBe(false);
    expect(explainSnowflakeError({ httpStatus: 503 }, { doing: 'testing' }).transient).toBe(true);
    expect(explainSnowflakeError({ httpStatus: 403 }, { doing: 'testing' }).transient).toBe(false);
  });
  it('S3: a 5xx or an unreachable endpoint is transient; access denied is not', () => {
    const slowDown = Object.assign(new Error('Slow Down'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'Error' });
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(s3Error('b', 'read k', slowDown).transient).toBe(true);
    expect(s3Error('b', 'read k', refused).transient).toBe(true);
    expect(s3Error('b', 'read k', denied).transient).toBe(false);
  });
});
