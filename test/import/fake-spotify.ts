import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal Spotify on 127.0.0.1 for --enrich: the token endpoint, /v1/me, GET /tracks?ids= and
 * GET /tracks/{id}, with Track objects shaped as in the Web API reference. In `development` mode the batch
 * endpoint answers 403 as it does for Development Mode apps since February 2026 (and omits popularity).
 */
export interface FakeSpotify {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export function fakeTrack(id: string, withPopularity: boolean) {
  const n = parseInt(id.slice(0, 4), 36) || 1;
  return {
    album: {
      album_type: n % 3 === 0 ? 'single' : 'album',
      artists: [
        { id: `artist${id.slice(0, 16)}`, name: 'Album Artist', type: 'artist', uri: 'spotify:artist:x' },
      ],
      id: `album${id.slice(0, 17)}`,
      name: 'Album',
      release_date: '2019-05-10',
      release_date_precision: 'day',
      type: 'album',
      uri: `spotify:album:album${id.slice(0, 17)}`,
    },
    artists: [
      { id: `artist${id.slice(0, 16)}`, name: 'Main Artist', type: 'artist', uri: 'spotify:artist:x' },
      { id: `feat${id.slice(0, 18)}`, name: 'Featured', type: 'artist', uri: 'spotify:artist:y' },
    ],
    disc_number: 1,
    duration_ms: 150_000 + (n % 1000) * 100,
    explicit: n % 2 === 0,
    external_ids: { isrc: `US${id.slice(0, 10).toUpperCase()}` },
    href: `https://api.spotify.com/v1/tracks/${id}`,
    id,
    is_local: false,
    name: 'Track',
    ...(withPopularity ? { popularity: n % 100 } : {}),
    track_number: 1,
    type: 'track',
    uri: `spotify:track:${id}`,
  };
}

export async function startFakeSpotify(
  mode: 'development' | 'extended',
  unknown: Set<string> = new Set(),
): Promise<FakeSpotify> {
  const requests: string[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname === '/api/token') {
      req.resume();
      return json(res, 200, {
        access_token: 'fake-access',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'user-read-recently-played',
      });
    }
    if (req.headers.authorization !== 'Bearer fake-access') {
      return json(res, 401, { error: { status: 401, message: 'No token provided' } });
    }
    if (url.pathname === '/v1/me')
      return json(res, 200, { id: 'demo-user', display_name: 'Demo', type: 'user' });
    if (url.pathname === '/v1/tracks') {
      if (mode === 'development') return json(res, 403, { error: { status: 403, message: 'Forbidden' } });
      const ids = (url.searchParams.get('ids') ?? '').split(',');
      if (ids.length > 50)
        return json(res, 400, { error: { status: 400, message: 'Too many ids requested' } });
      return json(res, 200, { tracks: ids.map((id) => (unknown.has(id) ? null : fakeTrack(id, true))) });
    }
    const m = /^\/v1\/tracks\/([^/]+)$/.exec(url.pathname);
    if (m) {
      if (unknown.has(m[1]!))
        return json(res, 404, { error: { status: 404, message: 'Resource not found' } });
      return json(res, 200, fakeTrack(m[1]!, mode === 'extended'));
    }
    json(res, 404, { error: { status: 404, message: 'Service not found' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
