import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { continuousOptions } from '../../src/continuous/continuous-settings.js';
import { ConfigError } from '../../src/errors.js';

const config = (env: Record<string, string> = {}) => loadConfig({ cwd: '/nonexistent', env });

describe('sub-second polling (soak tests only)', () => {
  it('refuses an interval under 1 s and a floor under 100 ms to users', () => {
    expect(() => continuousOptions(config(), { interval: '500ms' })).toThrow(ConfigError);
    expect(() => continuousOptions(config(), { interval: '500ms' })).toThrow(
      /--interval "500ms" is too short: the least is 1s/,
    );
    expect(() => continuousOptions(config(), { minInterval: '50ms' })).toThrow(/the least is 100ms/);
    expect(continuousOptions(config(), { interval: '1s' }).schedule.periodMs).toBe(1000);
  });

  it('SPOTIFY_PIPELINE_TEST_FAST_POLLING=1 lowers both floors to 0, and takes no other value', () => {
    const fast = continuousOptions(config({ SPOTIFY_PIPELINE_TEST_FAST_POLLING: '1' }), {
      interval: '0ms',
      minInterval: '0ms',
    });
    expect(fast.schedule.periodMs).toBe(0);
    expect(fast.adaptive.floorMs).toBe(0);
    expect(() =>
      continuousOptions(config({ SPOTIFY_PIPELINE_TEST_FAST_POLLING: 'yes' }), { interval: '0ms' }),
    ).toThrow(/SPOTIFY_PIPELINE_TEST_FAST_POLLING may only be 1/);
  });
});
