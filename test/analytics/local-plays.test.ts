import { describe, expect, it } from 'vitest';
import { localPlaysViewSql } from '../../src/analytics/local-plays.js';
import { silentLogger } from '../../src/log.js';
import { openWarehouse } from '../../src/warehouse/warehouse.js';
import { localSetup, writePlays } from '../warehouse/lake-fixture.js';
import { play } from '../helpers/records.js';

describe('local time of each play (offset per UTC day, ICU on days with a change)', () => {
  it('equals ICU’s conversion of every play, across DST changes and half-hour zones', async () => {
    const fx = localSetup('local-plays');
    // Every 37 minutes over days around changes of 2024: Europe (31 Mar, 27 Oct), New York (10 Mar, 3 Nov),
    // Lord Howe (30-minute DST: 7 Apr, 6 Oct), plus a quiet day; St John's is -3:30/-2:30.
    const days = [
      '2024-03-10',
      '2024-03-31',
      '2024-04-07',
      '2024-06-15',
      '2024-10-06',
      '2024-10-27',
      '2024-11-03',
    ];
    const plays = days.flatMap((d) => {
      const start = Date.parse(`${d}T00:00:00.000Z`) - 86_400_000;
      return Array.from({ length: 117 }, (_, i) => play(start + i * 37 * 60_000 + 123));
    });
    await writePlays(fx.store, plays);
    const wh = await openWarehouse(fx.config, silentLogger);
    try {
      await wh.refresh();
      for (const tz of [
        'Europe/Berlin',
        'America/New_York',
        'Australia/Lord_Howe',
        'America/St_Johns',
        'UTC',
      ]) {
        await wh.connection.run(localPlaysViewSql({ tz }));
        // The same multiset of local times (a fall-back hour repeats local times, so rows are not paired by order).
        const icu = `SELECT (played_at AT TIME ZONE 'UTC') AT TIME ZONE '${tz}' AS lt FROM spotify_listening_history`;
        const { rows } = await wh.rows(
          `SELECT (SELECT count(*) FROM local_plays) AS n,
             (SELECT count(*) FROM (SELECT lt FROM local_plays EXCEPT ALL ${icu})) +
             (SELECT count(*) FROM (${icu} EXCEPT ALL SELECT lt FROM local_plays)) AS wrong`,
        );
        expect({ tz, ...rows[0] }).toEqual({ tz, n: plays.length, wrong: 0 });
      }
      // A period keeps exactly the plays of its local days (cut in UTC first, with a margin).
      for (const [tz, from, to] of [
        ['Australia/Lord_Howe', '2024-04-07', '2024-04-07'],
        ['America/St_Johns', '2024-11-02', '2024-11-03'],
      ] as const) {
        await wh.connection.run(localPlaysViewSql({ tz, from, to }));
        const { rows } = await wh.rows(
          `SELECT (SELECT count(*) FROM local_plays) AS kept,
             (SELECT count(*) FROM spotify_listening_history WHERE CAST((played_at AT TIME ZONE 'UTC') AT TIME ZONE '${tz}' AS DATE)
               BETWEEN DATE '${from}' AND DATE '${to}') AS expected`,
        );
        expect(rows[0]!.kept).toBe(rows[0]!.expected);
        expect(rows[0]!.kept).toBeGreaterThan(30);
      }
    } finally {
      wh.close();
    }
  });
});
