import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { buildObjects } from '../../src/lake/build-objects.js';
import { parseNdjsonGzip } from '../../src/lake/encode.js';
import { objectKey, parseObjectKey, tracksDataset } from '../../src/lake/layout.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { playTimeFromMs } from '../../src/record/time.js';
import { backoffMs, parseRetryAfter } from '../../src/net/retry.js';
import { SPOTIFY_RETRY_POLICY } from '../../src/spotify/http-client.js';
import { RateLimiter } from '../../src/spotify/rate-limiter.js';
import { PlayLedger, samePlay, type PlayKey } from '../../src/commit/ledger.js';

const t = (iso: string) => Date.parse(iso);

describe('lake layout', () => {
  it('names objects from the earliest play, the count and the content', () => {
    const body = Buffer.from('x');
    const key = objectKey(tracksDataset('spotify_listening_history/'), {
      earliestPlayedAt: '2024-01-15T14:30:00.123Z',
      count: 7,
      body,
    });
    expect(key).toMatch(
      /^spotify_listening_history\/2024\/01\/15\/spotify_tracks_20240115_143000_batch_7_[a-f0-9]{12}\.json\.gz$/,
    );
    expect(parseObjectKey(key)).toEqual({
      prefix: 'spotify_listening_history/',
      date: '2024-01-15',
      filePrefix: 'spotify_tracks',
      count: 7,
    });
    expect(
      objectKey(tracksDataset('p/'), { earliestPlayedAt: '2024-01-15T14:30:00.123Z', count: 7, body }),
    ).toContain(key.slice(-20));
    expect(parseObjectKey('_probe/x.txt')).toBeNull();
  });

  it('splits records by UTC date, sorted, never spanning two dates', () => {
    const recs = ['2024-01-02T00:00:01.000Z', '2024-01-01T23:59:59.999Z', '2024-01-01T10:00:00.000Z'].map(
      (iso) => ({
        ...playTimeFromMs(t(iso)),
      }),
    );
    const objects = buildObjects(tracksDataset('d/'), recs, (r) => JSON.stringify(r));
    expect(objects.map((o) => [o.date, o.records])).toEqual([
      ['2024-01-01', 2],
      ['2024-01-02', 1],
    ]);
    const first = parseNdjsonGzip(objects[0]!.body) as { played_at: string }[];
    expect(first.map((r) => r.played_at)).toEqual(['2024-01-01T10:00:00.000Z', '2024-01-01T23:59:59.999Z']);
    expect(objects[0]!.key).toContain('spotify_tracks_20240101_100000_batch_2_');
  });

  it('the local store is write-once and leaves no temp file', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lake-'));
    const store = new LocalObjectStore(root);
    expect(await store.putIfAbsent('a/b/c.json.gz', Buffer.from('one'))).toBe('created');
    expect(await store.putIfAbsent('a/b/c.json.gz', Buffer.from('two'))).toBe('exists');
    expect((await store.get('a/b/c.json.gz')).toString()).toBe('one');
    expect(await readdir(path.join(root, 'a', 'b'))).toEqual(['c.json.gz']);
    const listed = [];
    for await (const o of store.list('a/')) listed.push(o.key);
    expect(listed).toEqual(['a/b/c.json.gz']);
    await expect(store.putIfAbsent('../escape', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });
});

describe('play identity', () => {
  const api: PlayKey = { t: t('2024-03-01T10:00:05.123Z'), id: 'T1', name: 'Song', src: 'api' };
  it('is exact within one source', () => {
    expect(samePlay(api, { ...api })).toBe(true);
    expect(samePlay(api, { ...api, t: api.t + 1 })).toBe(false);
  });
  it('tolerates the small clock difference between the API and the export', () => {
    expect(samePlay(api, { t: t('2024-03-01T10:00:02Z'), id: 'T1', name: 'Song', src: 'ext' })).toBe(true);
    expect(samePlay(api, { t: t('2024-03-01T10:00:02Z'), id: 'T2', name: 'Song', src: 'ext' })).toBe(false);
    // The same song played twice in a row: the next play ends a whole play later.
    expect(samePlay(api, { t: t('2024-03-01T10:03:30Z'), id: 'T1', name: 'Song', src: 'ext' })).toBe(false);
  });
  it('matches Account Data rows (no id, minute resolution) by name within the minute', () => {
    const acct: PlayKey = { t: t('2024-03-01T10:00:00Z'), id: null, name: ' song ', src: 'acct' };
    expect(samePlay(api, acct)).toBe(true);
    expect(samePlay(api, { ...acct, t: t('2024-03-01T10:02:00Z') })).toBe(false);
    expect(samePlay(api, { ...acct, name: 'Other' })).toBe(false);
  });
  it('the ledger persists plays per month and finds them again, idempotently', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'state-'));
    const ledger = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    await ledger.add([api, api, { ...api, t: t('2024-04-01T00:00:00Z') }]);
    await ledger.flush();
    const again = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    expect(await again.has(api)).toBe(true);
    expect(await again.has({ ...api, src: 'ext', t: api.t - 3000 })).toBe(true);
    expect(await again.has({ ...api, t: api.t + 60_000 })).toBe(false);
    expect(await again.count()).toBe(2);
    expect(await readdir(path.join(stateDir, 'users', 'u1', 'ledger'))).toEqual([
      '2024-03.json',
      '2024-04.json',
    ]);
  });
});

describe('ledger month files', () => {
  it('a month given plays while it is being written stays dirty, so the next flush writes them', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'state-'));
    const ledger = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    const first: PlayKey = { t: t('2024-05-01T10:00:00Z'), id: 'a'.repeat(22), name: 'A', src: 'ext' };
    const late: PlayKey = { ...first, t: t('2024-05-02T10:00:00Z'), id: 'b'.repeat(22) };
    const other: PlayKey = { ...first, t: t('2024-06-02T10:00:00Z'), id: 'c'.repeat(22) };
    await ledger.add([first, other]);
    const flushing = ledger.flush();
    await ledger.add([late]); // the month is in memory: added before the write completes
    await flushing;
    await ledger.flush();
    const reread = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    for (const play of [first, late, other]) expect(await reread.has(play)).toBe(true);
  });

  it('reads back a month it wrote after listing its folder, once that month left memory', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'state-'));
    const older: PlayKey = { t: t('2024-01-05T10:00:00Z'), id: 'o'.repeat(22), name: 'O', src: 'ext' };
    const seed = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    await seed.add([older]);
    await seed.flush();
    const ledger = new PlayLedger(new LocalStateStore(stateDir), 'u1');
    expect(await ledger.has(older)).toBe(true); // listed: 2024-01 is on disk
    const play: PlayKey = { t: t('2024-07-05T10:00:00Z'), id: 'p'.repeat(22), name: 'P', src: 'ext' };
    expect(await ledger.has(play)).toBe(false); // not on disk: answered without reading
    await ledger.add([play]);
    await ledger.flush();
    ledger.releaseClean();
    expect(await ledger.has(play)).toBe(true); // written since the listing: read from disk again
    expect(await ledger.has(older)).toBe(true);
  });

  it('refuses a month file of the wrong shape, naming the file and the entry, and reads a valid one', async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'state-'));
    const dir = path.join(stateDir, 'users', 'u1', 'ledger');
    await mkdir(dir, { recursive: true });
    const play: PlayKey = { t: t('2024-05-01T10:00:00Z'), id: null, name: 'N', src: 'acct' };
    const cases: [string, RegExp][] = [
      ['{"v":2,"plays":[]}', /not a ledger month/],
      ['{"v":1}', /not a ledger month/],
      [`{"v":1,"plays":[[${play.t},null,"N","acct"],[${play.t},"x","N","bogus"]]}`, /plays\[1\] is not/],
      [`{"v":1,"plays":[[${play.t},null,"N"]]}`, /plays\[0\] is not/],
      [`{"v":1,"plays":[["${play.t}",null,"N","acct"]]}`, /plays\[0\] is not/],
      [`{"v":1,"plays":[[${play.t},7,"N","acct"]]}`, /plays\[0\] is not/],
    ];
    for (const [text, problem] of cases) {
      await writeFile(path.join(dir, '2024-05.json'), text);
      const failure = await new PlayLedger(new LocalStateStore(stateDir), 'u1')
        .has(play)
        .catch((err: Error) => err);
      expect((failure as Error).message).toMatch(problem);
      expect((failure as Error).message).toContain(`${path.join(dir, '2024-05.json')} is corrupt`);
    }
    await writeFile(path.join(dir, '2024-05.json'), `{"v":1,"plays":[[${play.t},null,"N","acct"]]}`);
    expect(await new PlayLedger(new LocalStateStore(stateDir), 'u1').has(play)).toBe(true);
  });
});

describe('HTTP politeness', () => {
  it('parses Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
  });
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(SPOTIFY_RETRY_POLICY, 0, () => 1)).toBe(500);
    expect(backoffMs(SPOTIFY_RETRY_POLICY, 3, () => 1)).toBe(4000);
    expect(backoffMs(SPOTIFY_RETRY_POLICY, 20, () => 1)).toBe(30_000);
    expect(backoffMs(SPOTIFY_RETRY_POLICY, 3, () => 0.25)).toBe(1000);
  });
  it('keeps a ceiling of requests per minute', () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    expect(limiter.delayMs()).toBe(0);
    void limiter.take();
    void limiter.take();
    expect(limiter.delayMs()).toBe(60_000);
    now = 30_000;
    expect(limiter.delayMs()).toBe(30_000);
    now = 60_001;
    expect(limiter.delayMs()).toBe(0);
  });
});

describe('orphaned temp files', () => {
  it('a retried write removes the temp file a killed attempt left beside the object', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lake-'));
    const store = new LocalObjectStore(root);
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(root, 'd'), { recursive: true });
    await writeFile(path.join(root, 'd', '.x.json.gz.abc123.tmp'), 'half');
    await writeFile(path.join(root, 'd', '.other.json.gz.abc123.tmp'), 'not ours');
    expect(await store.putIfAbsent('d/x.json.gz', Buffer.from('full'))).toBe('created');
    expect((await readdir(path.join(root, 'd'))).sort()).toEqual(['.other.json.gz.abc123.tmp', 'x.json.gz']);
  });
});

describe('durability of new folders', () => {
  it('fsyncs every folder whose entries a write changed, up to the first one that existed', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'lake-'));
    const { promises: fsp } = await import('node:fs');
    const synced: string[] = [];
    const realOpen = fsp.open;
    // Record the directories opened for fsync (fsyncDir opens with 'r'); files are opened with 'wx'.
    const spy = vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof realOpen>) => {
      if (args[1] === 'r') synced.push(path.relative(root, String(args[0])) || '.');
      return realOpen(...args);
    });
    try {
      await new LocalObjectStore(root).putIfAbsent('p/2024/01/15/x.json.gz', Buffer.from('x'));
    } finally {
      spy.mockRestore();
    }
    expect(synced).toEqual(['p/2024/01/15', 'p/2024/01', 'p/2024', 'p', '.']);
  });
});
