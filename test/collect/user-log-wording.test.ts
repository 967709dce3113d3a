import { describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { collectorFixture } from './fixture.js';

/** Words of the commit protocol's internals: fine in debug lines, not in what a user reads at info. */
const JARGON = /\b(epochs?|leases?|outbox|fenced?|fencing|transactions?|ledger|publishing)\b/i;

describe('info-level log lines of a first run', () => {
  it('speak of plays and the lake, not of the commit protocol', async () => {
    const fx = await collectorFixture();
    try {
      fx.spotify.addPlays('alice', makePlays(3, new Date(Date.now() - 3_600_000)));
      const r = await fx.run(['run-once'], { LOG_LEVEL: 'info' });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string });
      const info = lines.filter((l) => l.level === 30).map((l) => l.msg);
      // The first write to a lake is announced, in a user's words.
      expect(info).toContain(
        'this setup was not the last to write to the lake (or never has): checking which plays the lake already holds before adding any',
      );
      expect(info.filter((msg) => JARGON.test(msg))).toEqual([]);
    } finally {
      await fx.close();
    }
  });
});
