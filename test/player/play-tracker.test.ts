import { describe, expect, it } from 'vitest';
import { observationOf } from '../../src/player/player-answer.js';
import { recordOfPlayerPlay } from '../../src/player/player-records.js';
import {
  closeOnStop,
  emptyTracker,
  observe,
  type Observation,
  type PlayerItem,
  type PlayerPlay,
  type TrackerState,
} from '../../src/player/play-tracker.js';
import { samePlay } from '../../src/commit/index.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const s = (sec: number) => T0 + sec * 1000;
const track = (id: string, durationSec: number): PlayerItem => ({
  type: 'track',
  id,
  durationMs: durationSec * 1000,
  raw: { id, name: `Song ${id}`, type: 'track', duration_ms: durationSec * 1000, artists: [] },
  context: null,
});
const A = track('A', 200);
const B = track('B', 180);
const play = (at: number, item: PlayerItem, progressSec: number, isPlaying = true): Observation => ({
  atMs: s(at),
  kind: 'item',
  item,
  isPlaying,
  progressMs: progressSec * 1000,
});
const nothing = (at: number): Observation => ({ atMs: s(at), kind: 'nothing' });

function run(observations: Observation[], stop = false): { plays: PlayerPlay[]; state: TrackerState } {
  let state = emptyTracker();
  const plays: PlayerPlay[] = [];
  for (const o of observations) {
    const r = observe(state, o);
    state = r.state;
    plays.push(...r.ended);
  }
  if (stop) {
    const r = closeOnStop(state);
    plays.push(...r.ended);
    state = r.state;
  }
  return { plays, state };
}

/** Polls every 15 s from `from` to `to` (inclusive) while `item` plays from `progress0`. */
function polls(item: PlayerItem, from: number, to: number, progress0: number): Observation[] {
  const out: Observation[] = [];
  for (let t = from; t <= to; t += 15) out.push(play(t, item, progress0 + (t - from)));
  return out;
}

describe('plays from player observations', () => {
  it('a full play ends at the track end, ms_played its length, not skipped', () => {
    // A starts at t=0 (first seen at 2 s), ends at 200 s; B is first seen at 212 s at progress 12 s.
    const { plays } = run([...polls(A, 2, 197, 2), play(212, B, 12)]);
    expect(plays).toHaveLength(1);
    expect(plays[0]).toMatchObject({
      endMs: s(200),
      msPlayed: 200_000,
      skipped: false,
      reason: 'item_changed',
    });
  });

  it('a skip at 95 s: ended early, skipped, ms_played as listened', () => {
    // A from 0; polls at 2..92; Next at 95 s; B seen at 107 s with progress 12 s (so it started at 95 s).
    const { plays } = run([...polls(A, 2, 92, 2), play(107, B, 12)]);
    expect(plays[0]).toMatchObject({ endMs: s(95), msPlayed: 95_000, skipped: true });
  });

  it('a pause is not listening', () => {
    // 0..60 playing, paused at 60 (seen at 62..362 paused), resumed at 362, track ends at 362+140 = 502.
    const obs = [
      ...polls(A, 2, 47, 2),
      play(62, A, 60, false),
      play(200, A, 60, false),
      play(362, A, 60, true),
      ...polls(A, 377, 497, 75),
      play(512, B, 10),
    ];
    const { plays } = run(obs);
    expect(plays).toHaveLength(1);
    expect(plays[0]!.msPlayed).toBe(200_000);
    expect(plays[0]!.endMs).toBe(s(502));
    expect(plays[0]!.skipped).toBe(false);
  });

  it('a pause longer than the limit ends the play at the pause', () => {
    const { plays, state } = run([
      ...polls(A, 2, 47, 2),
      play(62, A, 60, false),
      play(62 + 31 * 60, A, 60, false),
    ]);
    expect(plays[0]).toMatchObject({
      endMs: s(60),
      msPlayed: 60_000,
      skipped: true,
      reason: 'paused_too_long',
    });
    expect(state.open).toBeNull();
  });

  it('a track played twice in a row is two plays (repeat to ~0 after it neared its end)', () => {
    // A 0..200, then again 200..400; the poll at 197 sees 197 s, the one at 212 sees 12 s.
    const obs = [...polls(A, 2, 197, 2), ...polls(A, 212, 392, 12), play(407, B, 7)];
    const { plays } = run(obs);
    expect(plays.map((p) => [p.endMs, p.msPlayed, p.skipped, p.reason])).toEqual([
      [s(200), 200_000, false, 'repeat'],
      [s(400), 200_000, false, 'item_changed'],
    ]);
    // The two ends are a play apart: the ledger's matching keeps them apart.
    const key = (p: PlayerPlay) => ({ t: p.endMs, id: p.item.id, name: 'a', src: 'ply' as const });
    expect(samePlay(key(plays[0]!), key(plays[1]!))).toBe(false);
  });

  it('a seek back in the middle of a track stays one play, listening counted by the clock', () => {
    // Seek from ~92 s back to ~15 s at 92 s of wall time: the track now ends at 277 s.
    const obs = [...polls(A, 2, 92, 2), play(107, A, 30), ...polls(A, 122, 272, 45), play(292, B, 15)];
    const { plays } = run(obs);
    expect(plays).toHaveLength(1);
    // 0..277 of wall time listened (the seek replayed 77 s), ended at the track end (277 s).
    expect(plays[0]).toMatchObject({ endMs: s(277), msPlayed: 277_000, skipped: false });
  });

  it('204, ads and unknown are nothing; a play before a 204 ends where playing stopped', () => {
    expect(observationOf(204, undefined, 1)).toEqual({ atMs: 1, kind: 'nothing' });
    expect(observationOf(200, { currently_playing_type: 'ad', item: null, is_playing: true }, 1).kind).toBe(
      'nothing',
    );
    expect(observationOf(200, { currently_playing_type: 'unknown', item: null }, 1).kind).toBe('nothing');
    const local = { currently_playing_type: 'track', is_playing: true, item: { id: null, is_local: true } };
    expect(observationOf(200, local, 1).kind).toBe('nothing');
    const priv = {
      currently_playing_type: 'track',
      is_playing: true,
      progress_ms: 1,
      item: { id: 'x' },
      device: { is_private_session: true },
    };
    expect(observationOf(200, priv, 1).kind).toBe('nothing');
    // A plays 0..50, then the player answers 204 at 62 (stopped at 50 s, or later: the estimate takes 62 s).
    const { plays } = run([...polls(A, 2, 47, 2), nothing(62), nothing(77)]);
    expect(plays).toHaveLength(1);
    expect(plays[0]).toMatchObject({ endMs: s(62), msPlayed: 62_000, skipped: true, reason: 'stopped' });
  });

  it('an episode becomes an episode record with data_source spotify_player_state', () => {
    const body = {
      timestamp: s(0),
      progress_ms: 5000,
      is_playing: true,
      currently_playing_type: 'episode',
      context: null,
      item: { id: 'E1', type: 'episode', name: 'Ep 1', duration_ms: 600_000, show: { name: 'Show' } },
    };
    const first = observationOf(200, body, s(5));
    expect(first).toMatchObject({ kind: 'item', item: { type: 'episode', id: 'E1' }, progressMs: 5000 });
    const { plays } = run([first, ...polls((first as { item: PlayerItem }).item, 20, 110, 20), nothing(125)]);
    const rec = recordOfPlayerPlay(plays[0]!, 'u1', '2026-12-01T11:00:00.000Z');
    expect(rec.kind).toBe('episode');
    expect(rec.record).toMatchObject({
      episode_id: 'E1',
      episode_name: 'Ep 1',
      show_name: 'Show',
      ms_played: 125_000,
      skipped: true,
      data_source: 'spotify_player_state',
      played_at: '2026-12-01T10:02:05.000Z',
    });
    expect(rec.key).toEqual({ t: s(125), id: 'E1', name: 'Ep 1', src: 'ply' });
  });

  it('a track record carries ms_played, skipped and the end as played_at', () => {
    const { plays } = run([...polls(A, 2, 92, 2), play(107, B, 12)]);
    const rec = recordOfPlayerPlay(plays[0]!, 'u1', '2026-12-01T11:00:00.000Z');
    expect(rec.record).toMatchObject({
      track_id: 'A',
      track_name: 'Song A',
      ms_played: 95_000,
      skipped: true,
      data_source: 'spotify_player_state',
      played_at: '2026-12-01T10:01:35.000Z',
      track_duration_ms: 200_000,
    });
  });

  it('the process stopping ends the play at the last observation, skipped unknown', () => {
    const { plays, state } = run(polls(A, 2, 62, 2), true);
    expect(plays[0]).toMatchObject({
      endMs: s(62),
      msPlayed: 62_000,
      skipped: null,
      reason: 'process_stopped',
    });
    expect(state.open).toBeNull();
  });

  it('a play kept in the state resumes after a restart and is one play', () => {
    const before = run(polls(A, 2, 62, 2)).state;
    const restored = JSON.parse(JSON.stringify(before)) as TrackerState;
    let state = restored;
    const plays: PlayerPlay[] = [];
    for (const o of [...polls(A, 77, 197, 77), play(212, B, 12)]) {
      const r = observe(state, o);
      state = r.state;
      plays.push(...r.ended);
    }
    expect(plays).toHaveLength(1);
    expect(plays[0]).toMatchObject({ endMs: s(200), msPlayed: 200_000, skipped: false });
  });

  it('the player and recently-played times of one play match; the import rule stays ±10 s elsewhere', () => {
    const ply = { t: s(200), id: 'A', name: 'a', src: 'ply' as const };
    expect(samePlay(ply, { ...ply, t: s(215), src: 'api' })).toBe(true);
    expect(samePlay(ply, { ...ply, t: s(226), src: 'ext' })).toBe(false);
    expect(samePlay({ ...ply, src: 'api' }, { ...ply, t: s(211), src: 'ext' })).toBe(false);
    // A re-derived player play (after a crash) matches the first within the poll interval.
    expect(samePlay(ply, { ...ply, t: s(212) })).toBe(true);
    expect(samePlay(ply, { ...ply, t: s(230) })).toBe(false);
  });
});
