import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { PipelineError } from '../../src/errors.js';
import {
  BufferPool,
  GzipThread,
  JsonArrayError,
  MemoryGuard,
  streamJsonArrayBatches,
} from '../../src/import/engine/index.js';
import {
  buildObjects,
  buildObjectsFromLines,
  LineBatch,
  type SliceLines,
} from '../../src/lake/build-objects.js';
import { LAKE_GZIP_LEVEL, parseNdjsonGzip, recordToJsonLine } from '../../src/lake/encode.js';
import { objectKey, tracksDataset } from '../../src/lake/layout.js';
import { EPISODE_KEYS } from '../../src/record/episode-schema.js';
import { mapAccountDataRow, mapExtendedRow } from '../../src/record/from-export.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { silentLogger } from '../../src/log.js';
import { LakeCommitter } from '../../src/commit/committer.js';
import { commitTogether, writeTogether } from '../../src/commit/commit-together.js';
import { PlayLedger, type PlayKey } from '../../src/commit/ledger.js';
import { tempDir } from '../helpers/cli.js';

const options = { minMsPlayed: 30_000, fallbackUser: () => 'u', ingestedAt: '2026-01-01T00:00:00.000Z' };
const row = (ts: string, i: number) => ({
  ts,
  ms_played: 200_000,
  spotify_track_uri: `spotify:track:${String(i).padStart(22, 'a')}`,
  master_metadata_track_name: `Track ${i} "quoted" Ünïcödé`,
  master_metadata_album_artist_name: 'Artist',
  username: 'u',
});

describe('import internals', () => {
  it('the one builder gives the same objects from shared line buffers on the gzip thread as from records inline', async () => {
    const stamps = [
      '2024-01-02T00:00:01Z',
      '2024-01-01T23:59:59Z',
      '2024-01-01T10:00:00Z',
      '2024-01-01T10:00:00Z',
      '2024-01-01T12:00:00Z',
      '2024-01-01T12:30:00Z',
      '2024-01-02T08:00:00Z',
      '2024-01-01T11:00:00Z',
    ];
    const records = stamps.map((ts, i) => {
      const m = mapExtendedRow(row(ts, i), options);
      if (m.kind !== 'track') throw new Error('expected a track');
      return m.record;
    });
    // The first rows each in a buffer of their own; the last four back to back in one shared buffer, as the
    // parser thread sends them: copied in one piece where they follow each other, apart where another day's
    // row or an earlier play lies between.
    const lines = records.map((r) => Buffer.from(`${recordToJsonLine(r)}\n`, 'utf8'));
    const shared = Buffer.concat(lines.slice(4));
    let at = 0;
    const owner: SliceLines = { buffer: shared.buffer as ArrayBuffer, refs: 1 };
    const rows = new LineBatch();
    records.forEach((r, i) => {
      if (i < 4) return rows.push(Date.parse(r.played_at), lines[i]!, 0, lines[i]!.length);
      at += lines[i]!.length;
      rows.push(Date.parse(r.played_at), shared, at - lines[i]!.length, at, owner);
    });
    // The shared buffer is held by its four rows and by the slice being read (the 1 it started with).
    expect(owner.refs).toBe(5);
    const dataset = tracksDataset('spotify_listening_history/');
    const gzip = new GzipThread();
    const fromLines = await buildObjectsFromLines(dataset, rows, gzip).finally(() => gzip.close());
    expect(rows.release()).toEqual([]);
    expect(owner.refs).toBe(1);
    expect(rows.release()).toEqual([]); // released once only
    const fromRecords = buildObjects(dataset, records);
    const inline = await buildObjectsFromLines(dataset, rows);
    expect(inline.map((o) => [o.key, o.body.toString('base64')])).toEqual(
      fromLines.map((o) => [o.key, o.body.toString('base64')]),
    );
    // What the builder must give, worked out without it: each date's lines in time order (equal times in
    // the order read), gzipped, named from the earliest play, the count and the body.
    const expected = ['2024-01-01', '2024-01-02'].map((date) => {
      const day = records
        .map((r, i) => ({ r, line: lines[i]! }))
        .filter(({ r }) => r.played_at_date === date)
        .sort((a, b) => Date.parse(a.r.played_at) - Date.parse(b.r.played_at));
      const body = gzipSync(Buffer.concat(day.map((d) => d.line)), { level: LAKE_GZIP_LEVEL });
      const key = objectKey(dataset, { earliestPlayedAt: day[0]!.r.played_at, count: day.length, body });
      return [key, date, day.length, body.toString('base64')];
    });
    expect(fromLines.map((o) => [o.key, o.date, o.records, o.body.toString('base64')])).toEqual(expected);
    expect(fromLines.map((o) => [o.key, o.date, o.records])).toEqual(
      fromRecords.map((o) => [o.key, o.date, o.records]),
    );
    expect(fromLines.map((o) => o.body.equals(fromRecords.find((r) => r.key === o.key)!.body))).toEqual([
      true,
      true,
    ]);
    // Both at the lake's one gzip level (its bytes differ from gzip's default level 6 for these lines).
    const dayLines = (o: (typeof fromLines)[number]) => gunzipSync(o.body);
    expect(fromLines.map((o) => o.body.equals(gzipSync(dayLines(o), { level: LAKE_GZIP_LEVEL })))).toEqual([
      true,
      true,
    ]);
    expect(fromLines.some((o) => !o.body.equals(gzipSync(dayLines(o), { level: 6 })))).toBe(true);
  });

  it('the memory guard collects every other batch above the budget, and after every batch above the hard one', () => {
    const MB = 1024 * 1024;
    let rss = 0;
    let leaves = 0; // what a collection brings the RSS down to (0: it frees nothing)
    const collected: number[] = [];
    const guard = new MemoryGuard(240 * MB, 260 * MB, {
      rss: () => rss,
      gc: () => {
        collected.push(rss / MB);
        if (leaves) rss = leaves * MB;
      },
    });
    const batch = (mb: number) => {
      rss = mb * MB;
      guard.afterBatch();
    };
    batch(200);
    batch(230);
    expect(collected).toEqual([]); // under the budget
    leaves = 235;
    batch(245);
    expect(collected).toEqual([245]); // above it, and two batches since the start
    batch(246);
    expect(collected).toEqual([245]); // one batch since the last collection
    batch(248);
    expect(collected).toEqual([245, 248]); // every other batch
    leaves = 0;
    batch(262);
    batch(263);
    expect(collected).toEqual([245, 248, 262, 263]); // above the hard budget: after every batch
    expect(guard.collections).toBe(4);
  });

  it('a buffer pool lends the smallest buffer that fits and, when full, lets the smallest go', () => {
    const pool = new BufferPool(2, 1024);
    const small = pool.take(10);
    expect(small.byteLength).toBe(10);
    expect(small.buffer.byteLength).toBe(1024); // at least minBytes
    const big = pool.take(4000);
    expect(big.buffer.byteLength).toBe(5000); // a quarter more, to serve again
    const huge = pool.take(8000);
    for (const b of [big, small, huge]) pool.give(b.buffer as ArrayBuffer);
    // Kept: the two biggest. The smallest that fits is lent, never a bigger one.
    expect(pool.take(100).buffer.byteLength).toBe(5000);
    expect(pool.take(100).buffer.byteLength).toBe(10_000);
    expect(pool.take(100).buffer.byteLength).toBe(1024); // none left: a new one
  });

  it('the compression thread gzips each range of a batch, reuses its buffers, and reports a failure clearly', async () => {
    const gzip = new GzipThread();
    try {
      for (let round = 0; round < 3; round++) {
        const texts = ['a\n', 'bb\n'.repeat(1000), '', `round ${round}\n`];
        const joined = Buffer.from(texts.join(''));
        const input = gzip.inputBuffer(joined.length);
        input.set(joined);
        let at = 0;
        const ends = Uint32Array.from(texts, (t) => (at += Buffer.byteLength(t)));
        const bodies = await gzip.compress(input, ends, 6);
        expect(bodies.map((b) => gunzipSync(b).toString())).toEqual(texts);
        // The input was moved to the thread (detached here), and comes back for the next batch.
        expect(input.byteLength).toBe(0);
      }
      const input = gzip.inputBuffer(3);
      input.set(Buffer.from('abc'));
      const failure = gzip.compress(input, Uint32Array.of(3), 42);
      await expect(failure).rejects.toBeInstanceOf(PipelineError);
      await expect(failure).rejects.toThrow(/compressing a batch failed .*run the import again/);
    } finally {
      await gzip.close();
    }
  });

  it('the batch scanner yields the elements before a bad one, then names the bad one', async () => {
    const input = Readable.from([Buffer.from('[{"a":1},{"a":2},{"a":'), Buffer.from('x},{"a":4}]')]);
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const batch of streamJsonArrayBatches(input)) seen.push(...batch);
    } catch (err) {
      error = err;
    }
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
    expect(error).toBeInstanceOf(JsonArrayError);
    expect((error as JsonArrayError).index).toBe(2);
  });

  it('the ledger answers without waiting when its months are loaded, exactly like has()', async () => {
    const dir = await tempDir('ledger-');
    const ledger = new PlayLedger(new LocalStateStore(dir), 'u');
    const key: PlayKey = { t: Date.parse('2024-03-31T23:59:30Z'), id: 'x'.repeat(22), name: 'A', src: 'ext' };
    // Near midnight at a month end: two months to look at, neither loaded yet.
    expect(ledger.hasLoaded(key)).toBeUndefined();
    expect(await ledger.has(key)).toBe(false);
    expect(ledger.hasLoaded(key)).toBe(false);
    await ledger.add([key]);
    expect(ledger.hasLoaded(key)).toBe(true);
    expect(ledger.hasLoaded({ ...key, t: key.t + 5_000, src: 'api' })).toBe(true); // same play, other clock
    expect(ledger.hasLoaded({ ...key, t: key.t + 600_000 })).toBe(false);
  });

  it('an outbox holds the bodies as raw bytes and a commit leaves nothing behind', async () => {
    const stateDir = await tempDir('state-');
    const lake = await tempDir('lake-');
    const ledger = new PlayLedger(new LocalStateStore(stateDir), 'u');
    const committer = new LakeCommitter({
      state: new LocalStateStore(stateDir),
      userId: 'u',
      store: new LocalObjectStore(lake),
      ledger,
      log: silentLogger,
    });
    const records = [mapExtendedRow(row('2024-06-01T08:00:00Z', 1), options)].map((m) => {
      if (m.kind !== 'track') throw new Error('expected a track');
      return m.record;
    });
    const objects = buildObjects(tracksDataset('d/'), records);
    const plays: PlayKey[] = [
      { t: Date.parse('2024-06-01T08:00:00Z'), id: 'a'.repeat(21) + '1', name: 'x', src: 'ext' },
    ];
    const { writes } = await committer.commit({ objects, plays });
    expect(writes).toHaveLength(1);
    expect(parseNdjsonGzip(await new LocalObjectStore(lake).get(writes[0]!.key))).toHaveLength(1);
    expect(await readdir(path.join(stateDir, 'users', 'u', 'outbox'))).toEqual([]);
  });
  describe('commits of two datasets in step (tracks and episodes of an import)', () => {
    const setup = async () => {
      const stateDir = await tempDir('state-');
      const lake = await tempDir('lake-');
      const store = new LocalObjectStore(lake);
      const committers = (['tracks', 'episodes'] as const).map(
        (dataset) =>
          new LakeCommitter({
            state: new LocalStateStore(stateDir),
            userId: 'u',
            store,
            ledger: new PlayLedger(new LocalStateStore(stateDir), 'u', dataset),
            log: silentLogger,
          }),
      );
      // Real records of every kind a commit holds: Extended tracks on two dates, an Account Data track
      // (no id), podcast episodes (one without a name), so a replay must derive each key exactly.
      const mapped = [
        mapExtendedRow(row('2024-06-01T08:00:00Z', 1), options),
        mapExtendedRow(row('2024-06-02T09:30:00Z', 2), options),
        mapAccountDataRow(
          { endTime: '2024-06-01 10:15', msPlayed: 90_000, trackName: 'Ünï "x"', artistName: 'A' },
          options,
        ),
        mapExtendedRow(
          {
            ts: '2024-06-01T11:00:00Z',
            ms_played: 600_000,
            username: 'u',
            episode_name: 'Ep',
            episode_show_name: 'S',
            spotify_episode_uri: `spotify:episode:${'e'.repeat(22)}`,
          },
          options,
        ),
        mapExtendedRow(
          {
            ts: '2024-06-01T12:00:00Z',
            ms_played: 600_000,
            username: 'u',
            spotify_episode_uri: `spotify:episode:${'f'.repeat(22)}`,
          },
          options,
        ),
      ];
      const tracks = mapped.flatMap((m) => (m.kind === 'track' ? [m] : []));
      const episodes = mapped.flatMap((m) => (m.kind === 'episode' ? [m] : []));
      expect([tracks.length, episodes.length]).toEqual([3, 2]);
      const parts = [
        {
          committer: committers[0]!,
          tx: {
            objects: buildObjects(
              tracksDataset('t/'),
              tracks.map((m) => m.record),
            ),
            plays: tracks.map((m) => m.key),
          },
        },
        {
          committer: committers[1]!,
          tx: {
            objects: buildObjects(
              { prefix: 'e/', filePrefix: 'spotify_episodes' },
              episodes.map((m) => m.record),
              (r) => recordToJsonLine(r, EPISODE_KEYS),
            ),
            plays: episodes.map((m) => m.key),
          },
        },
      ];
      /** The plays a dataset's ledger holds, exactly as stored. */
      const ledgerPlays = async (dataset: string) =>
        (
          JSON.parse(
            await readFile(
              path.join(
                stateDir,
                'users',
                'u',
                dataset === 'tracks' ? 'ledger' : `ledger-${dataset}`,
                '2024-06.json',
              ),
              'utf8',
            ),
          ) as {
            plays: [number, string | null, string, string][];
          }
        ).plays.map(([t, id, name, src]) => ({ t, id, name, src }));
      /** Every file under the lake, hidden temp files included. */
      const files = async () =>
        (await readdir(lake, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => path.relative(lake, path.join(e.parentPath, e.name)))
          .sort();
      const outboxes = async () =>
        [
          ...(await readdir(path.join(stateDir, 'users', 'u', 'outbox')).catch(() => [])),
          ...(await readdir(path.join(stateDir, 'users', 'u', 'outbox-episodes')).catch(() => [])),
        ].length;
      return { stateDir, store, parts, files, outboxes, ledgerPlays };
    };

    it('writes every object and both ledgers, and a crash between the halves is replayed per dataset', async () => {
      const { stateDir, store, parts, files, outboxes, ledgerPlays } = await setup();
      const written = await writeTogether(parts);
      // The state a crash here leaves: the objects durable, both outboxes, neither ledger written.
      const keys = parts.flatMap((p) => p.tx.objects.map((o) => o.key)).sort();
      expect(keys).toHaveLength(3);
      expect(await files()).toEqual(keys);
      expect(await outboxes()).toBe(2);
      await expect(ledgerPlays('tracks')).rejects.toThrow(/ENOENT/);
      for (const [i, dataset] of ['tracks', 'episodes'].entries()) {
        const replay = new LakeCommitter({
          state: new LocalStateStore(stateDir),
          userId: 'u',
          store,
          ledger: new PlayLedger(new LocalStateStore(stateDir), 'u', dataset),
          log: silentLogger,
        });
        const { writes } = await replay.recover();
        expect(writes.every((w) => w.outcome === 'exists')).toBe(true);
        expect(writes).toHaveLength(parts[i]!.tx.objects.length);
        // The outbox holds no plays: they are read back from its objects, and are exactly the batch's keys.
        const byTime = (a: PlayKey, b: PlayKey) => a.t - b.t;
        expect(await ledgerPlays(dataset)).toEqual([...parts[i]!.tx.plays].sort(byTime));
      }
      expect(await outboxes()).toBe(0);
      // Finishing after the replay changes nothing.
      const results = await written.finish();
      expect(results.map((r) => r.writes.length)).toEqual([2, 1]);
      expect(await new PlayLedger(new LocalStateStore(stateDir), 'u', 'tracks').count()).toBe(3);
      expect(await new PlayLedger(new LocalStateStore(stateDir), 'u', 'episodes').count()).toBe(2);
    });

    it('publishes nothing, and leaves no temp file in the lake, when an outbox cannot be written', async () => {
      const { stateDir, parts, files, outboxes } = await setup();
      // A file where the episodes' outbox folder should be: its outbox cannot be written (even as root).
      await mkdir(path.join(stateDir, 'users', 'u'), { recursive: true });
      await writeFile(path.join(stateDir, 'users', 'u', 'outbox-episodes'), 'in the way');
      const failure = await commitTogether(parts).catch((err: unknown) => err);
      expect((failure as Error).message).toMatch(/STATE_DIR .*(EEXIST|ENOTDIR)/);
      expect(await files()).toEqual([]);
      expect(await readFile(path.join(stateDir, 'users', 'u', 'outbox-episodes'), 'utf8')).toBe('in the way');
      expect(await outboxes()).toBe(1); // the tracks' outbox, replayed by the next run: nothing is lost
    });
  });
});
