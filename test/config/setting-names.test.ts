import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestSetting, SETTING_NAMES } from '../../src/setting-names.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

/** Every `raw.NAME`, `raw['NAME']`, `env.NAME` and `settings.NAME` read in src/. */
function settingsReadBySource(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\b(?:raw|env|settings)(?:\.|\[')([A-Z][A-Z0-9_]{3,})\b/g))
          names.add(m[1]!);
      }
    }
  };
  walk(path.join(PROJECT_ROOT, 'src'));
  return names;
}

/** Read from the environment but not settings a user puts in .env: the system's and the test hooks'. */
const NOT_SETTINGS = [
  'PATH',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
];

describe('the list of settings', () => {
  it('holds every setting the source reads (else a correct .env key would be warned about)', () => {
    const missing = [...settingsReadBySource()].filter(
      (n) => !SETTING_NAMES.includes(n) && !NOT_SETTINGS.includes(n) && !n.startsWith('SPOTIFY_PIPELINE_'),
    );
    expect(settingsReadBySource().size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('suggests the setting a typo meant, and nothing for an unrelated name', () => {
    expect(closestSetting('SPOTIFY_CLIENTID')).toBe('SPOTIFY_CLIENT_ID');
    expect(closestSetting('spotify_client_id')).toBe('SPOTIFY_CLIENT_ID');
    expect(closestSetting('FETCH_INTERVAL_MINUTE')).toBe('FETCH_INTERVAL_MINUTES');
    expect(closestSetting('SNOWFLAKE_ACCONT')).toBe('SNOWFLAKE_ACCOUNT');
    expect(closestSetting('DATABASE_URL')).toBeUndefined();
  });
});
