import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { minMsPlayedSetting, playerSettings } from '../../src/player/player-settings.js';

describe('player settings', () => {
  it('defaults to a read every 10 s and 30 s as the shortest play kept', () => {
    expect(playerSettings({})).toEqual({ pollMs: 10_000, minMsPlayed: 30_000 });
    expect(playerSettings({ PLAYER_POLL_SECONDS: '0', MIN_MS_PLAYED: '5000' })).toEqual({
      pollMs: 0,
      minMsPlayed: 5000,
    });
  });
  it('refuses a poll interval over 15 s (the matching window allows for one) and non-numbers', () => {
    expect(() => playerSettings({ PLAYER_POLL_SECONDS: '16' })).toThrow(ConfigError);
    expect(() => playerSettings({ PLAYER_POLL_SECONDS: '16' })).toThrow(/from 1 to 15, or 0/);
    expect(() => playerSettings({ PLAYER_POLL_SECONDS: '2.5' })).toThrow(ConfigError);
    expect(() => minMsPlayedSetting({ MIN_MS_PLAYED: '-1' })).toThrow(/MIN_MS_PLAYED=-1/);
  });
});
