import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaErrors } from './openapi/web-api-schemas.js';
import { FakeSpotify, makePlays, type FakeUser } from './spotify-server.js';

/**
 * The fake Spotify server answers as Spotify does: every body it sends is held to the schemas of the Web
 * API's OpenAPI description (openapi/README.md) and, for the accounts service, to its documentation.
 */
const recordedPage = JSON.parse(
  readFileSync(new URL('../fixtures/real/listenbrainz/recently-played-page.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const documentedItems = JSON.parse(
  readFileSync(new URL('../fixtures/real/documented/recently-played-items.json', import.meta.url), 'utf8'),
) as Record<string, unknown>[];

let spotify: FakeSpotify;
let user: FakeUser;

beforeEach(async () => {
  spotify = await FakeSpotify.start();
  user = spotify.addUser('alice');
  spotify.addPlays('alice', [
    ...makePlays(55, new Date('2026-03-01T12:00:00.000Z')),
    // No album at all, and an artist-less track: every field Spotify may leave out.
    {
      track: { id: 'bare0000000000000000000', name: 'Bare', artists: [] },
      played_at: '2026-03-01T12:05:00.000Z',
    },
  ]);
});
afterEach(() => spotify.close());

async function token(form: Record<string, string>, basic = true) {
  const res = await fetch(`${spotify.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic
        ? {
            authorization: `Basic ${Buffer.from(`${spotify.clientId}:${spotify.clientSecret}`).toString('base64')}`,
          }
        : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function api(path: string, accessToken: string | null) {
  const res = await fetch(`${spotify.apiBaseUrl}${path}`, {
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function accessToken(): Promise<string> {
  const { body } = await token({ grant_type: 'refresh_token', refresh_token: user.refreshToken });
  return String(body.access_token);
}

describe('the validator', () => {
  it('accepts a recorded recently-played page and refuses a body that breaks the schema', () => {
    expect(schemaErrors('CursorPagingPlayHistoryObject', recordedPage)).toEqual([]);
    const items = recordedPage.items as { track: Record<string, unknown> }[];
    const broken = {
      ...recordedPage,
      items: [{ ...items[0], track: { ...items[0]!.track, duration_ms: '3:58' } }],
    };
    expect(schemaErrors('CursorPagingPlayHistoryObject', broken)).toEqual([
      '/items/0/track/duration_ms: must be integer',
    ]);
    expect(schemaErrors('WebApiError', { error: { status: 200, message: 'x' } })).toEqual([
      '/error/status: must be >= 400',
    ]);
  });

  it('the built recently-played items of test/fixtures/real/documented: an episode conforms, a local file does not', () => {
    const [episode, local] = documentedItems;
    expect(schemaErrors('EpisodeObject', episode!.track)).toEqual([]);
    // Spotify sends a local file's ids as null, which the description does not allow (openapi/README.md).
    expect(schemaErrors('TrackObject', local!.track)).toContain('/id: must be string');
  });
});

describe('the fake Spotify server answers as the schemas say', () => {
  it('token: a refresh, a rotating refresh, and the OAuth errors', async () => {
    const ok = await token({ grant_type: 'refresh_token', refresh_token: user.refreshToken });
    expect(ok.status).toBe(200);
    expect(schemaErrors('TokenResponse', ok.body)).toEqual([]);
    spotify.rotateRefreshTokens = true;
    const rotated = await token({ grant_type: 'refresh_token', refresh_token: user.refreshToken });
    expect(rotated.body.refresh_token).toEqual(expect.any(String));
    expect(schemaErrors('TokenResponse', rotated.body)).toEqual([]);

    const revoked = await token({ grant_type: 'refresh_token', refresh_token: 'gone' });
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(schemaErrors('TokenError', revoked.body)).toEqual([]);
    const unsupported = await token({ grant_type: 'password' });
    expect(schemaErrors('TokenError', unsupported.body)).toEqual([]);
    const noClient = await token({ grant_type: 'refresh_token', refresh_token: user.refreshToken }, false);
    expect(noClient).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect(schemaErrors('TokenError', noClient.body)).toEqual([]);
  });

  it('/me, with and without a display name', async () => {
    const me = await api('/me', await accessToken());
    expect(me.status).toBe(200);
    expect(schemaErrors('PrivateUserObject', me.body)).toEqual([]);
    const nameless = spotify.addUser('bob', { displayName: null });
    const { body } = await token({ grant_type: 'refresh_token', refresh_token: nameless.refreshToken });
    const bob = await api('/me', String(body.access_token));
    expect(bob.body).toMatchObject({ id: 'bob', display_name: null });
    expect(schemaErrors('PrivateUserObject', bob.body)).toEqual([]);
  });

  it('recently-played: a full page, the last page, an empty page, Development Mode, recorded items', async () => {
    const access = await accessToken();
    const full = await api('/me/player/recently-played?limit=50', access);
    expect((full.body as { items: unknown[] }).items).toHaveLength(50);
    expect(schemaErrors('CursorPagingPlayHistoryObject', full.body)).toEqual([]);
    const last = await api('/me/player/recently-played?limit=50&before=1772366700000', access);
    expect(schemaErrors('CursorPagingPlayHistoryObject', last.body)).toEqual([]);
    const empty = await api('/me/player/recently-played?after=1900000000000', access);
    expect(empty.body).toMatchObject({ items: [], next: null });
    expect(schemaErrors('CursorPagingPlayHistoryObject', empty.body)).toEqual([]);

    spotify.developmentMode = true;
    const dev = await api('/me/player/recently-played?limit=5', access);
    const track = (dev.body as { items: { track: Record<string, unknown> }[] }).items[0]!.track;
    expect(track).not.toHaveProperty('popularity');
    expect(schemaErrors('CursorPagingPlayHistoryObject', dev.body)).toEqual([]);

    // Only the 50 latest plays are listed: recorded items are served to an account of their own.
    const carol = spotify.addUser('carol');
    spotify.addRecordedItems('carol', recordedPage.items as Record<string, unknown>[]);
    const { body } = await token({ grant_type: 'refresh_token', refresh_token: carol.refreshToken });
    const recorded = await api('/me/player/recently-played', String(body.access_token));
    expect((recorded.body as { items: unknown[] }).items).toEqual(recordedPage.items);
    expect(schemaErrors('CursorPagingPlayHistoryObject', recorded.body)).toEqual([]);
  });

  it('currently-playing: a track, a paused track, an episode, an ad, 204, and 403 without the scope', async () => {
    let now = Date.parse('2026-12-01T10:00:00.000Z');
    spotify.playerClock = () => now;
    const token0 = await accessToken();
    const path = '/me/player/currently-playing?additional_types=track,episode';
    expect((await api(path, token0)).status).toBe(403); // alice has only user-read-recently-played
    user.scopes.push('user-read-currently-playing');
    const t = now;
    user.player.push(
      {
        at: t,
        item: {
          track: { id: 'trk1', name: 'One', duration_ms: 180_000, artists: [{ id: 'ar1', name: 'A' }] },
        },
      },
      {
        at: t + 60_000,
        item: { track: { id: 'trk1', name: 'One', artists: [] } },
        progressMs: 60_000,
        playing: false,
      },
      {
        at: t + 120_000,
        item: { episode: { id: 'ep1', name: 'Ep', duration_ms: 900_000, show: { id: 'sh1', name: 'S' } } },
      },
      { at: t + 180_000, item: 'ad' },
      { at: t + 200_000, item: null },
    );
    const at = async (ms: number) => {
      now = t + ms;
      const res = await fetch(`${spotify.apiBaseUrl}${path}`, {
        headers: { authorization: `Bearer ${token0}` },
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };
    const playing = await at(30_000);
    expect(schemaErrors('CurrentlyPlayingObject', playing.body)).toEqual([]);
    expect(playing.body).toMatchObject({
      is_playing: true,
      progress_ms: 30_000,
      currently_playing_type: 'track',
    });
    const paused = await at(90_000);
    expect(schemaErrors('CurrentlyPlayingObject', paused.body)).toEqual([]);
    expect(paused.body).toMatchObject({ is_playing: false, progress_ms: 60_000 });
    const episode = await at(150_000);
    expect(schemaErrors('CurrentlyPlayingObject', episode.body)).toEqual([]);
    expect(schemaErrors('EpisodeObject', episode.body!.item)).toEqual([]);
    expect(episode.body).toMatchObject({ currently_playing_type: 'episode', progress_ms: 30_000 });
    const ad = await at(190_000);
    expect(schemaErrors('CurrentlyPlayingObject', ad.body)).toEqual([]);
    expect(ad.body).toMatchObject({ currently_playing_type: 'ad', item: null });
    expect(await at(250_000)).toEqual({ status: 204, body: undefined });
  });

  it('tracks: GET /tracks/{id} and GET /tracks?ids= give TrackObjects', async () => {
    const access = await accessToken();
    const one = await api('/tracks/track00000000000000001', access);
    expect(schemaErrors('TrackObject', one.body)).toEqual([]);
    const several = await api('/tracks?ids=track00000000000000006,bare0000000000000000000', access);
    const tracks = (several.body as { tracks: unknown[] }).tracks;
    expect(tracks).toHaveLength(2);
    for (const t of tracks) expect(schemaErrors('TrackObject', t)).toEqual([]);
  });

  it('errors: no token, an expired token, a bad request, an unknown path', async () => {
    const access = await accessToken();
    const bodies = [
      await api('/me', null),
      await api('/me/player/recently-played?limit=51', access),
      await api('/me/player/recently-played?after=1&before=2', access),
      await api('/nowhere', access),
    ];
    spotify.expireAccessTokens();
    bodies.push(await api('/me', access));
    expect(bodies.map((b) => b.status)).toEqual([401, 400, 400, 404, 401]);
    for (const b of bodies) expect(schemaErrors('WebApiError', b.body)).toEqual([]);
  });
});
