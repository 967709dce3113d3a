import type { z } from 'zod';
import type { SpotifySettings } from '../config.js';
import { AuthRequiredError, PipelineError } from '../errors.js';
import type { SpotifyHttp } from './http-client.js';
import {
  describeIssues,
  meSchema,
  recentlyPlayedSchema,
  severalTracksSchema,
  trackSchema,
} from './schemas.js';

/** A non-2xx answer of the Web API that the caller may want to act on (403/404 of batch endpoints). */
export class SpotifyApiError extends PipelineError {
  constructor(
    message: string,
    readonly status: number,
    readonly endpoint: string,
  ) {
    super(message, 1);
    this.name = 'SpotifyApiError';
  }
}

export interface TokenSource {
  /** A valid access token (refreshed before expiry). */
  accessToken(): Promise<string>;
  /** Called once when the API answers 401 anyway: refresh now. */
  refreshNow(): Promise<void>;
}

/** The Web API endpoints this project uses, each answer validated against its documented shape. */
export class SpotifyWebApi {
  constructor(
    private readonly http: SpotifyHttp,
    private readonly settings: SpotifySettings,
    private readonly tokens: TokenSource,
  ) {}

  async getJson<S extends z.ZodType>(
    endpoint: string,
    path: string,
    query: Record<string, string | number | undefined>,
    schema: S,
  ): Promise<z.infer<S>> {
    const url = new URL(`${this.settings.apiBaseUrl}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const res = await this.get(endpoint, url);
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch {
      if (res.status >= 200 && res.status < 300) {
        throw new PipelineError(
          `Spotify ${endpoint} (${url.pathname}) returned a malformed response: the body is not JSON (HTTP ${res.status}). Nothing was written; run again later.`,
          1,
        );
      }
    }
    if (res.status < 200 || res.status >= 300) {
      const message = (json as { error?: { message?: unknown } })?.error?.message;
      const detail = `HTTP ${res.status}${typeof message === 'string' ? `: ${message}` : ''}`;
      const fix =
        res.status === 403
          ? " The app or token may lack access (scope user-read-recently-played, or a Development Mode user not added to the app): run `spotify-pipeline auth login`, and check the app's user list."
          : '';
      throw new SpotifyApiError(
        `Spotify ${endpoint} (${url.pathname}) failed (${detail}).${fix}`,
        res.status,
        endpoint,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new PipelineError(
        `Spotify ${endpoint} (${url.pathname}) returned a malformed response (${describeIssues(parsed.error)}). Nothing was written; if this persists, the API has changed: please report it.`,
        1,
      );
    }
    return parsed.data;
  }

  /** A GET with the account's token; a 401 refreshes the token once, a second 401 needs a new login. */
  private async get(endpoint: string, url: URL) {
    let res = await this.send(endpoint, url);
    if (res.status === 401) {
      // The token expired early or was revoked.
      await this.tokens.refreshNow();
      res = await this.send(endpoint, url);
      if (res.status === 401) {
        throw new AuthRequiredError(
          `Spotify ${endpoint} refused a freshly refreshed token (401): run \`spotify-pipeline auth login\` to connect the account again.`,
        );
      }
    }
    return res;
  }

  private async send(endpoint: string, url: URL) {
    const token = await this.tokens.accessToken();
    return this.http.send(endpoint, url.toString(), {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
  }

  getMe() {
    return this.getJson('me', '/me', {}, meSchema);
  }

  getRecentlyPlayed(options: { limit: number; after?: number; before?: number }) {
    return this.getJson(
      'recently-played',
      '/me/player/recently-played',
      { limit: options.limit, after: options.after, before: options.before },
      recentlyPlayedSchema,
    );
  }

  /**
   * The player (scope user-read-currently-playing). 204 (nothing plays) has no body, so the status comes back
   * with the parsed body, which the caller reads leniently (src/player/player-answer.ts); 403 (no scope) is a
   * SpotifyApiError the caller acts on.
   */
  async getCurrentlyPlaying(): Promise<{ status: number; body: unknown }> {
    const endpoint = 'currently-playing';
    const url = new URL(`${this.settings.apiBaseUrl}/me/player/currently-playing`);
    url.searchParams.set('additional_types', 'track,episode');
    const res = await this.get(endpoint, url);
    if (res.status === 204 || res.text.trim() === '') return { status: res.status, body: undefined };
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      throw new SpotifyApiError(`Spotify ${endpoint} failed (HTTP ${res.status}).`, res.status, endpoint);
    }
    return { status: res.status, body };
  }

  getTrack(id: string) {
    return this.getJson('track', `/tracks/${encodeURIComponent(id)}`, {}, trackSchema);
  }

  /** Up to 50 ids; Development Mode apps get 403/404 here (use getTrack then). */
  getTracks(ids: string[]) {
    return this.getJson('tracks', '/tracks', { ids: ids.join(',') }, severalTracksSchema);
  }
}
