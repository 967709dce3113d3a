import { describe, expect, it } from 'vitest';
import { nextInterval } from '../../src/continuous/adaptive-interval.js';
import { formatDuration, parseDuration } from '../../src/continuous/duration.js';
import { cronSchedule, intervalSchedule, jitterMs, retryDelayMs } from '../../src/continuous/schedule.js';
import { ConfigError } from '../../src/errors.js';
import { evaluateHealth, type HealthState } from '../../src/metrics/health.js';

describe('durations', () => {
  it('reads 30s, 10m, 1h, 1h30m, 500ms and bare minutes', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('15')).toBe(900_000);
    expect(parseDuration('0.5')).toBe(30_000);
    for (const bad of ['', 'soon', '10 minutes', '-5s', '1x']) expect(parseDuration(bad)).toBeNull();
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('adaptive polling rule', () => {
  const settings = { baseMs: 30 * 60_000, floorMs: 60_000, batchSize: 50 };
  it('halves at 60% of a page, down to the floor', () => {
    let ms = settings.baseMs;
    const steps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const d = nextInterval(ms, { maxNewPlays: 30, possibleGap: false }, settings);
      if (i === 0) expect(d.change).toBe('shortened');
      ms = d.ms;
      steps.push(ms / 60_000);
    }
    expect(steps).toEqual([15, 7.5, 3.75, 1.875, 1, 1]);
    expect(nextInterval(ms, { maxNewPlays: 30, possibleGap: false }, settings).change).toBe('unchanged');
  });
  it('keeps the interval between 20% and 60%, doubles back below 20%, never above the configured one', () => {
    expect(nextInterval(240_000, { maxNewPlays: 29, possibleGap: false }, settings)).toMatchObject({
      ms: 240_000,
      change: 'unchanged',
    });
    expect(nextInterval(240_000, { maxNewPlays: 9, possibleGap: false }, settings)).toMatchObject({
      ms: 480_000,
      change: 'lengthened',
    });
    expect(nextInterval(settings.baseMs, { maxNewPlays: 0, possibleGap: false }, settings).ms).toBe(
      settings.baseMs,
    );
  });
  it('jumps to the floor after a possible gap, and the floor never exceeds the configured interval', () => {
    expect(nextInterval(settings.baseMs, { maxNewPlays: 50, possibleGap: true }, settings).ms).toBe(60_000);
    const short = { ...settings, baseMs: 10_000 };
    expect(nextInterval(10_000, { maxNewPlays: 50, possibleGap: true }, short).ms).toBe(10_000);
  });
  it('says why in words', () => {
    const d = nextInterval(settings.baseMs, { maxNewPlays: 40, possibleGap: false }, settings);
    expect(d.reason).toContain('40 new plays of a 50-play page (80%)');
  });
});

describe('schedules', () => {
  it('an interval runs start to start and never before now', () => {
    const s = intervalSchedule(60_000);
    expect(s.nextAfter(1_000_000, 1_010_000)).toBe(1_060_000);
    expect(s.nextAfter(1_000_000, 1_100_000)).toBe(1_100_000); // a long collection: next one at once
  });
  it('a cron schedule knows its period and next tick', () => {
    const s = cronSchedule('*/15 * * * *', 'UTC');
    expect(s.periodMs).toBe(15 * 60_000);
    const now = Date.parse('2026-01-01T10:07:00Z');
    expect(new Date(s.nextAfter(0, now)).toISOString()).toBe('2026-01-01T10:15:00.000Z');
    expect(() => cronSchedule('every day')).toThrow(ConfigError);
  });
  it('jitter is small and retries back off up to the interval', () => {
    expect(jitterMs(1000, () => 1)).toBe(50);
    expect(jitterMs(3_600_000, () => 1)).toBe(30_000);
    expect(retryDelayMs(1, 3_600_000, () => 1)).toBe(5_000);
    expect(retryDelayMs(4, 3_600_000, () => 1)).toBe(40_000);
    expect(retryDelayMs(30, 3_600_000, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(3, 1_000, () => 1)).toBe(1_000);
  });
});

describe('health', () => {
  const base: HealthState = {
    periodMs: 60_000,
    lastSuccessAt: null,
    lastOutcome: null,
    lastError: null,
    lastFinishedAt: null,
  };
  it('is 200 within three intervals of the last success, even after one failure', () => {
    const state = {
      ...base,
      lastSuccessAt: 1_000_000,
      lastOutcome: 'failed' as const,
      lastFinishedAt: 1_060_000,
    };
    expect(evaluateHealth(state, 1_000_000 + 180_000).status).toBe(200);
    const late = evaluateHealth({ ...state, lastError: 'Spotify 503' }, 1_000_000 + 180_001);
    expect(late.status).toBe(503);
    expect(late.body.reason).toContain('more than three intervals (180 s)');
    expect(late.body.reason).toContain('Spotify 503');
  });
  it('is 503 before any success, saying why', () => {
    expect(evaluateHealth(base, 5).body.reason).toBe('no collection has finished yet');
    const failed = evaluateHealth(
      { ...base, lastOutcome: 'auth_required', lastFinishedAt: 1, lastError: 'run auth login' },
      2,
    );
    expect(failed.status).toBe(503);
    expect(failed.body.reason).toContain('auth_required: run auth login');
  });
});
