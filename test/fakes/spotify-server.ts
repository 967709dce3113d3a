/**
 * A fake of Spotify's accounts service and Web API on 127.0.0.1, faithful to the documented shapes
 * (developer.spotify.com reference and the OpenAPI description): the token endpoint (refresh, authorization
 * code with secret or PKCE), /authorize, /v1/me, /v1/me/player/recently-played, /v1/me/player/currently-playing
 * (driven by a listening timeline, see `PlayerSegment`) and /v1/tracks.
 * Tests control it: users and their plays, failure injection (5xx, 429 with Retry-After, malformed bodies),
 * token expiry and revocation, refresh-token rotation and Development Mode restrictions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeArtist {
  id: string;
  name: string;
}

export interface FakeTrack {
  id: string | null;
  name: string;
  duration_ms?: number;
  explicit?: boolean;
  popularity?: number;
  isrc?: string;
  is_local?: boolean;
  artists: FakeArtist[];
  album?: {
    id: string;
    name: string;
    album_type: string;
    /** Always sent (AlbumBase requires it): `2024`, `2024-01` or `2024-01-15`. */
    release_date: string;
    release_date_precision: 'year' | 'month' | 'day';
  };
}

export interface FakePlay {
  track: FakeTrack | null;
  /** ISO instant with milliseconds, as Spotify gives it. */
  played_at: string;
  context?: { type: string; uri: string } | null;
  /** A recorded PlayHistoryObject, served as it is instead of one built from `track` (test/fixtures/real). */
  recorded?: Record<string, unknown>;
}

export interface FakeEpisode {
  id: string;
  name: string;
  duration_ms: number;
  show: { id: string; name: string };
}

/**
 * One stretch of a user's listening timeline, from `at` (the player clock, epoch ms) until the next segment:
 * the item at `progressMs` when the stretch starts, advancing while `playing`. `item: null` is nothing
 * (204); `'ad'` an advert (200, `currently_playing_type: "ad"`, `item: null`).
 */
export interface PlayerSegment {
  at: number;
  item: { track: FakeTrack } | { episode: FakeEpisode } | 'ad' | null;
  progressMs?: number;
  playing?: boolean;
}

export interface FakeUser {
  id: string;
  display_name: string | null;
  refreshToken: string;
  plays: FakePlay[];
  scopes: string[];
  /** The listening timeline currently-playing answers from, sorted by `at`. */
  player: PlayerSegment[];
}

export interface InjectedResponse {
  status: number;
  body?: unknown;
  /** Raw body text (for malformed responses); wins over `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Delay before answering (to test timeouts). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  userId?: string;
  grantType?: string;
  /** When it arrived (real clock). */
  at?: number;
}

interface AuthCode {
  userId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
}

/** The environment a headless user sets to collect for `user` from this fake (SPOTIFY_REFRESH_TOKEN seeds it). */
export function headlessSpotifyEnv(
  spotify: FakeSpotify,
  user: { refreshToken: string },
): Record<string, string | undefined> {
  return {
    SPOTIFY_CLIENT_ID: spotify.clientId,
    SPOTIFY_CLIENT_SECRET: spotify.clientSecret ?? undefined,
    SPOTIFY_REFRESH_TOKEN: user.refreshToken,
    SPOTIFY_API_BASE_URL: spotify.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: spotify.accountsBaseUrl,
  };
}

export class FakeSpotify {
  readonly users = new Map<string, FakeUser>();
  readonly requests: RecordedRequest[] = [];
  /** Every request's raw headers and body, to prove no secret leaks elsewhere (kept apart from `requests`). */
  readonly clientId = 'fake-client-id';
  clientSecret: string | null = 'fake-client-secret';
  accessTokenTtlSeconds = 3600;
  /** When true, each refresh returns a new refresh token and kills the old one. */
  rotateRefreshTokens = false;
  /** Development Mode (Feb 2026): no popularity, batch /tracks?ids= answers 403. */
  developmentMode = false;
  /** What /authorize does: approve as `loginUser`, or deny with `access_denied`. */
  authorizeDecision: 'approve' | 'deny' = 'approve';
  loginUser: string | undefined;
  /** Delay before every Web API (/v1/) answer, to keep a collection in flight (tests of shutdown). */
  apiDelayMs = 0;
  /** The clock currently-playing reads its timelines by (tests drive it, with the watcher's own clock). */
  playerClock: () => number = Date.now;
  private readonly accessTokens = new Map<string, { userId: string; expiresAt: number }>();
  private readonly codes = new Map<string, AuthCode>();
  private readonly injected: {
    match: (method: string, path: string) => boolean;
    response: InjectedResponse;
  }[] = [];
  private readonly catalog = new Map<string, FakeTrack>();
  /**
   * The catalogue beyond the tracks of added plays: a track id no play carries (an export's, for --enrich) is
   * looked up here; `undefined` means Spotify does not know it (404, or `null` in a batch).
   */
  unknownTrack: (id: string) => FakeTrack | undefined = () => undefined;
  private server!: Server;
  url = '';

  static async start(): Promise<FakeSpotify> {
    const fake = new FakeSpotify();
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { status: 500, message: String(err) } }));
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get apiBaseUrl(): string {
    return `${this.url}/v1`;
  }

  get accountsBaseUrl(): string {
    return this.url;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addUser(
    id: string,
    options: { displayName?: string | null; refreshToken?: string; scopes?: string[] } = {},
  ): FakeUser {
    const user: FakeUser = {
      id,
      display_name: options.displayName === undefined ? `Listener ${id}` : options.displayName,
      refreshToken: options.refreshToken ?? `refresh-${id}-${randomBytes(8).toString('hex')}`,
      plays: [],
      scopes: options.scopes ?? ['user-read-recently-played'],
      player: [],
    };
    this.users.set(id, user);
    return user;
  }

  /** Recorded recently-played items (PlayHistoryObject), each served as it was recorded. */
  addRecordedItems(userId: string, items: Record<string, unknown>[]): void {
    this.addPlays(
      userId,
      items.map((item) => ({ track: null, played_at: String(item.played_at), recorded: item })),
    );
  }

  addPlays(userId: string, plays: FakePlay[]): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`no fake user ${userId}`);
    user.plays.push(...plays);
    for (const p of plays) if (p.track?.id) this.catalog.set(p.track.id, p.track);
  }

  /** The next matching requests get these responses, in order, instead of the normal answer. */
  inject(match: string | RegExp, ...responses: InjectedResponse[]): void {
    const test = (method: string, path: string) =>
      typeof match === 'string' ? `${method} ${path}`.includes(match) : match.test(`${method} ${path}`);
    for (const response of responses) this.injected.push({ match: test, response });
  }

  /** Drops injected responses not used yet (the API recovers). */
  clearInjected(): void {
    this.injected.length = 0;
  }

  /** Kills every access token handed out so far (the API then answers 401). */
  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = 0;
  }

  /** The refresh token of this user stops working (invalid_grant), as when it expires after 6 months. */
  revokeRefreshToken(userId: string): void {
    const user = this.users.get(userId)!;
    user.refreshToken = `revoked-${randomBytes(8).toString('hex')}`;
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams.entries());
    const record: RecordedRequest = { method, path: url.pathname, query, status: 0, at: Date.now() };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };

    const injectedIndex = this.injected.findIndex((i) => i.match(method, url.pathname));
    if (injectedIndex >= 0) {
      const { response } = this.injected.splice(injectedIndex, 1)[0]!;
      if (response.delayMs) await new Promise((r) => setTimeout(r, response.delayMs));
      record.status = response.status;
      res.writeHead(response.status, {
        'content-type': 'application/json; charset=utf-8',
        ...response.headers,
      });
      res.end(response.raw ?? (response.body === undefined ? '' : JSON.stringify(response.body)));
      return;
    }

    if (url.pathname === '/authorize' && method === 'GET') return this.authorize(url, res, record);
    if (url.pathname === '/api/token' && method === 'POST') return this.token(req, body, send, record);
    if (url.pathname.startsWith('/v1/')) {
      if (this.apiDelayMs > 0) await new Promise((r) => setTimeout(r, this.apiDelayMs));
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer (.+)$/.exec(auth)?.[1];
      const entry = token ? this.accessTokens.get(token) : undefined;
      if (!entry) return send(401, { error: { status: 401, message: 'Invalid access token' } });
      if (entry.expiresAt <= Date.now())
        return send(401, { error: { status: 401, message: 'The access token expired' } });
      const user = this.users.get(entry.userId)!;
      record.userId = user.id;
      return this.api(url, user, send);
    }
    send(404, { error: { status: 404, message: 'Service not found' } });
  }

  private authorize(url: URL, res: ServerResponse, record: RecordedRequest) {
    const p = url.searchParams;
    const redirect = p.get('redirect_uri');
    const clientId = p.get('client_id');
    if (clientId !== this.clientId || !redirect || p.get('response_type') !== 'code') {
      record.status = 400;
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end('<h1>INVALID_CLIENT: Invalid client or redirect URI</h1>');
      return;
    }
    const target = new URL(redirect);
    const state = p.get('state');
    if (this.authorizeDecision === 'deny') {
      target.searchParams.set('error', 'access_denied');
    } else {
      const userId = this.loginUser ?? [...this.users.keys()][0];
      if (!userId) throw new Error('fake /authorize: no user to log in as');
      const code = `code-${randomBytes(12).toString('hex')}`;
      this.codes.set(code, {
        userId,
        clientId,
        redirectUri: redirect,
        scope: p.get('scope') ?? '',
        codeChallenge:
          p.get('code_challenge_method') === 'S256' ? (p.get('code_challenge') ?? undefined) : undefined,
      });
      target.searchParams.set('code', code);
    }
    if (state !== null) target.searchParams.set('state', state);
    record.status = 302;
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  private token(
    req: IncomingMessage,
    body: string,
    send: (s: number, p: unknown, h?: Record<string, string>) => void,
    record: RecordedRequest,
  ) {
    if (!/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      return send(400, { error: 'invalid_request', error_description: 'Content-Type must be form-encoded' });
    }
    const form = new URLSearchParams(body);
    record.grantType = form.get('grant_type') ?? undefined;
    // Client authentication: Basic id:secret, or (PKCE / public client) client_id in the body.
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    let clientId: string | null = null;
    let authenticatedWithSecret = false;
    if (basic) {
      const [id, secret] = Buffer.from(basic, 'base64').toString().split(':');
      if (id !== this.clientId || secret !== this.clientSecret) {
        return send(400, { error: 'invalid_client', error_description: 'Invalid client secret' });
      }
      clientId = id;
      authenticatedWithSecret = true;
    } else {
      clientId = form.get('client_id');
      if (clientId !== this.clientId)
        return send(400, { error: 'invalid_client', error_description: 'Invalid client' });
    }
    const grant = form.get('grant_type');
    // Client Credentials: the app's id and secret alone, Basic auth required; an app token with no user, no
    // refresh token and no scope (https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow).
    if (grant === 'client_credentials') {
      if (!authenticatedWithSecret)
        return send(400, { error: 'invalid_client', error_description: 'Invalid client' });
      return send(200, {
        access_token: `app-${randomBytes(8).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      });
    }
    if (grant === 'refresh_token') {
      const refresh = form.get('refresh_token');
      const user = [...this.users.values()].find((u) => u.refreshToken === refresh);
      if (!user) return send(400, { error: 'invalid_grant', error_description: 'Refresh token revoked' });
      record.userId = user.id;
      return send(200, this.issueTokens(user, user.scopes.join(' '), this.rotateRefreshTokens));
    }
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code)
        return send(400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
      this.codes.delete(form.get('code')!);
      if (code.redirectUri !== form.get('redirect_uri')) {
        return send(400, { error: 'invalid_grant', error_description: 'Invalid redirect URI' });
      }
      if (code.codeChallenge) {
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (challenge !== code.codeChallenge) {
          return send(400, { error: 'invalid_grant', error_description: 'code_verifier was incorrect' });
        }
      } else if (!authenticatedWithSecret) {
        return send(400, {
          error: 'invalid_client',
          error_description: 'Client secret or PKCE verifier required',
        });
      }
      const user = this.users.get(code.userId)!;
      user.scopes = code.scope.split(' ').filter(Boolean);
      record.userId = user.id;
      return send(200, this.issueTokens(user, code.scope, true));
    }
    return send(400, {
      error: 'unsupported_grant_type',
      error_description: `grant_type ${grant} is not supported`,
    });
  }

  private issueTokens(user: FakeUser, scope: string, newRefreshToken: boolean) {
    const access = `access-${randomBytes(12).toString('hex')}`;
    this.accessTokens.set(access, {
      userId: user.id,
      expiresAt: Date.now() + this.accessTokenTtlSeconds * 1000,
    });
    const response: Record<string, unknown> = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.accessTokenTtlSeconds,
      scope,
    };
    if (newRefreshToken) {
      user.refreshToken = `refresh-${user.id}-${randomBytes(8).toString('hex')}`;
      response.refresh_token = user.refreshToken;
    }
    return response;
  }

  private api(url: URL, user: FakeUser, send: (s: number, p: unknown, h?: Record<string, string>) => void) {
    const path = url.pathname.slice(3);
    if (path === '/me') {
      return send(200, {
        id: user.id,
        display_name: user.display_name,
        type: 'user',
        uri: `spotify:user:${user.id}`,
        href: `${this.apiBaseUrl}/users/${user.id}`,
        external_urls: { spotify: `https://open.spotify.com/user/${user.id}` },
        followers: { href: null, total: 0 },
        images: [],
      });
    }
    if (path === '/me/player/currently-playing') return this.currentlyPlaying(url, user, send);
    if (path === '/me/player/recently-played') {
      const p = url.searchParams;
      const limit = p.has('limit') ? Number(p.get('limit')) : 20;
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
        return send(400, { error: { status: 400, message: 'Invalid limit' } });
      }
      if (p.has('after') && p.has('before')) {
        return send(400, { error: { status: 400, message: 'Only one of after or before may be given' } });
      }
      // Only the 50 most recent plays are reachable at all.
      let plays = [...user.plays]
        .sort((a, b) => Date.parse(b.played_at) - Date.parse(a.played_at))
        .slice(0, 50);
      if (p.has('after')) plays = plays.filter((x) => Date.parse(x.played_at) > Number(p.get('after')));
      if (p.has('before')) plays = plays.filter((x) => Date.parse(x.played_at) < Number(p.get('before')));
      const page = plays.slice(0, limit);
      const times = page.map((x) => Date.parse(x.played_at));
      return send(200, {
        href: url.toString(),
        limit,
        next:
          page.length === limit
            ? `${this.apiBaseUrl}/me/player/recently-played?before=${Math.min(...times)}&limit=${limit}`
            : null,
        cursors: page.length
          ? { after: String(Math.max(...times)), before: String(Math.min(...times)) }
          : null,
        items: page.map(
          (x) =>
            x.recorded ?? {
              track: x.track ? this.trackObject(x.track) : null,
              played_at: x.played_at,
              context: x.context === undefined ? null : x.context,
            },
        ),
      });
    }
    if (path === '/tracks') {
      if (this.developmentMode) return send(403, { error: { status: 403, message: 'Forbidden' } });
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
      if (ids.length === 0 || ids.length > 50)
        return send(400, { error: { status: 400, message: 'Invalid ids' } });
      return send(200, {
        tracks: ids.map((id) => {
          const track = this.findTrack(id);
          return track ? this.trackObject(track) : null;
        }),
      });
    }
    const single = /^\/tracks\/([^/]+)$/.exec(path);
    if (single) {
      const track = this.findTrack(decodeURIComponent(single[1]!));
      if (!track) return send(404, { error: { status: 404, message: 'Resource not found' } });
      return send(200, this.trackObject(track));
    }
    return send(404, { error: { status: 404, message: 'Service not found' } });
  }

  private findTrack(id: string): FakeTrack | undefined {
    return this.catalog.get(id) ?? this.unknownTrack(id);
  }

  /**
   * GET /me/player/currently-playing (OpenAPI: CurrentlyPlayingObject): 403 without a player scope, 204 when
   * nothing plays, episodes only with `additional_types=episode` (otherwise `item: null`, as Spotify does).
   */
  private currentlyPlaying(
    url: URL,
    user: FakeUser,
    send: (s: number, p: unknown, h?: Record<string, string>) => void,
  ) {
    if (!user.scopes.some((s) => s === 'user-read-currently-playing' || s === 'user-read-playback-state')) {
      return send(403, { error: { status: 403, message: 'Insufficient client scope' } });
    }
    const now = this.playerClock();
    const segment = user.player.filter((x) => x.at <= now).at(-1);
    if (!segment || segment.item === null) return send(204, undefined);
    const actions = { disallows: { resuming: segment.playing !== false } };
    if (segment.item === 'ad') {
      return send(200, {
        timestamp: segment.at,
        context: null,
        progress_ms: now - segment.at,
        item: null,
        currently_playing_type: 'ad',
        actions,
        is_playing: true,
      });
    }
    const playing = segment.playing !== false;
    const item = 'track' in segment.item ? segment.item.track : segment.item.episode;
    const duration = item.duration_ms ?? 200_000;
    const progress = Math.min(duration, (segment.progressMs ?? 0) + (playing ? now - segment.at : 0));
    const episode = 'episode' in segment.item;
    const types = (url.searchParams.get('additional_types') ?? '').split(',');
    return send(200, {
      timestamp: segment.at,
      context: null,
      progress_ms: progress,
      item:
        'track' in segment.item
          ? this.trackObject(segment.item.track)
          : types.includes('episode')
            ? this.episodeObject(segment.item.episode)
            : null,
      currently_playing_type: episode ? 'episode' : 'track',
      actions,
      is_playing: playing,
    });
  }

  /** An EpisodeObject with its SimplifiedShowObject (OpenAPI: EpisodeObject). */
  episodeObject(e: FakeEpisode): Record<string, unknown> {
    const urls = (kind: string, id: string) => ({ spotify: `https://open.spotify.com/${kind}/${id}` });
    return {
      id: e.id,
      name: e.name,
      type: 'episode',
      uri: `spotify:episode:${e.id}`,
      href: `${this.apiBaseUrl}/episodes/${e.id}`,
      description: '',
      html_description: '',
      duration_ms: e.duration_ms,
      explicit: false,
      external_urls: urls('episode', e.id),
      images: [],
      is_externally_hosted: false,
      is_playable: true,
      languages: ['en'],
      release_date: '2026-11-01',
      release_date_precision: 'day',
      show: {
        id: e.show.id,
        name: e.show.name,
        type: 'show',
        uri: `spotify:show:${e.show.id}`,
        href: `${this.apiBaseUrl}/shows/${e.show.id}`,
        copyrights: [],
        description: '',
        html_description: '',
        explicit: false,
        external_urls: urls('show', e.show.id),
        images: [],
        is_externally_hosted: false,
        languages: ['en'],
        media_type: 'audio',
        publisher: 'Fake',
        total_episodes: 1,
        available_markets: MARKETS,
      },
    };
  }

  /** A full TrackObject (OpenAPI: TrackObject), minus what Development Mode removes. */
  trackObject(t: FakeTrack): Record<string, unknown> {
    const obj: Record<string, unknown> = {
      id: t.id,
      name: t.name,
      type: 'track',
      uri: t.id ? `spotify:track:${t.id}` : `spotify:local:${encodeURIComponent(t.name)}`,
      href: t.id ? `${this.apiBaseUrl}/tracks/${t.id}` : null,
      duration_ms: t.duration_ms ?? 200_000,
      explicit: t.explicit ?? false,
      is_local: t.is_local ?? false,
      disc_number: 1,
      track_number: 1,
      preview_url: null,
      external_urls: t.id ? { spotify: `https://open.spotify.com/track/${t.id}` } : {},
      external_ids: t.isrc ? { isrc: t.isrc } : {},
      artists: t.artists.map((a) => this.artistObject(a)),
      album: t.album ? this.albumObject(t.album, t.artists) : undefined,
    };
    if (!this.developmentMode) {
      obj.popularity = t.popularity ?? 50;
      obj.available_markets = MARKETS;
    }
    return obj;
  }

  /** A SimplifiedAlbumObject (OpenAPI: AlbumBase), minus what Development Mode removes. */
  private albumObject(album: NonNullable<FakeTrack['album']>, artists: FakeArtist[]) {
    return {
      id: album.id,
      name: album.name,
      album_type: album.album_type,
      type: 'album',
      uri: `spotify:album:${album.id}`,
      href: `${this.apiBaseUrl}/albums/${album.id}`,
      external_urls: { spotify: `https://open.spotify.com/album/${album.id}` },
      total_tracks: 10,
      images: [],
      release_date: album.release_date,
      release_date_precision: album.release_date_precision,
      artists: artists.slice(0, 1).map((a) => this.artistObject(a)),
      ...(this.developmentMode ? {} : { available_markets: MARKETS }),
    };
  }

  private artistObject(a: FakeArtist) {
    return {
      id: a.id,
      name: a.name,
      type: 'artist',
      uri: `spotify:artist:${a.id}`,
      href: `${this.apiBaseUrl}/artists/${a.id}`,
      external_urls: { spotify: `https://open.spotify.com/artist/${a.id}` },
    };
  }
}

const MARKETS = ['US', 'GB', 'DE'];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A deterministic catalogue of tracks for tests. */
export function makeTrack(n: number, overrides: Partial<FakeTrack> = {}): FakeTrack {
  const id = `track${String(n).padStart(17, '0')}`;
  return {
    id,
    name: `Song ${n}`,
    duration_ms: 150_000 + (n % 7) * 10_000,
    explicit: n % 5 === 0,
    popularity: 30 + (n % 60),
    isrc: `USRC1${String(n).padStart(7, '0')}`,
    artists: [
      { id: `artist${n % 13}`, name: `Artist ${n % 13}` },
      ...(n % 4 === 0 ? [{ id: `artist${(n + 1) % 13}`, name: `Artist ${(n + 1) % 13}` }] : []),
    ],
    album: {
      id: `album${n % 17}`,
      name: `Album ${n % 17}`,
      album_type: n % 3 === 0 ? 'single' : 'album',
      // Some albums give only a year.
      ...(n % 6 === 0
        ? { release_date: `20${10 + (n % 14)}`, release_date_precision: 'year' as const }
        : {
            release_date: `20${String(10 + (n % 14)).padStart(2, '0')}-0${1 + (n % 9)}-15`,
            release_date_precision: 'day' as const,
          }),
    },
    ...overrides,
  };
}

/**
 * The track Spotify knows under an id taken from elsewhere (an export's `spotify_track_uri`): two artists
 * ('Main Artist', 'Featured'), an album released 2019-05-10, an ISRC starting with `US`; derived from the id.
 */
export function trackForId(id: string): FakeTrack {
  const n = parseInt(id.slice(0, 4), 36) || 1;
  return {
    id,
    name: 'Track',
    duration_ms: 150_000 + (n % 1000) * 100,
    explicit: n % 2 === 0,
    popularity: n % 100,
    isrc: `US${id.slice(0, 10).toUpperCase()}`,
    artists: [
      { id: `artist${id.slice(0, 16)}`, name: 'Main Artist' },
      { id: `feat${id.slice(0, 18)}`, name: 'Featured' },
    ],
    album: {
      id: `album${id.slice(0, 17)}`,
      name: 'Album',
      album_type: n % 3 === 0 ? 'single' : 'album',
      release_date: '2019-05-10',
      release_date_precision: 'day',
    },
  };
}

/** `count` plays of distinct tracks ending at `end`, one every `gapMs`, newest last. */
export function makePlays(
  count: number,
  end: Date,
  options: { firstTrack?: number; gapMs?: number } = {},
): FakePlay[] {
  const gap = options.gapMs ?? 200_000;
  const first = options.firstTrack ?? 1;
  return Array.from({ length: count }, (_, i) => ({
    track: makeTrack(first + i),
    played_at: new Date(end.getTime() - (count - 1 - i) * gap).toISOString(),
    context: i % 2 === 0 ? { type: 'playlist', uri: `spotify:playlist:pl${i % 3}` } : null,
  }));
}
