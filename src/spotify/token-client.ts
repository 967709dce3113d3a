import type { SpotifySettings } from '../config.js';
import { AuthRequiredError, ConfigError, PipelineError } from '../errors.js';
import type { SpotifyHttp } from './http-client.js';
import { describeIssues, tokenResponseSchema, type TokenResponse } from './schemas.js';

const LOGIN_FIX = 'run `spotify-pipeline auth login` to connect the account again';

/** Client authentication for the token endpoint: Basic with the secret, else client_id in the body (PKCE). */
function clientAuth(settings: SpotifySettings, body: URLSearchParams): Record<string, string> {
  if (!settings.clientId) {
    throw new ConfigError(
      "SPOTIFY_CLIENT_ID is not set: set it to your Spotify app's client id (developer.spotify.com/dashboard) in .env or the environment.",
    );
  }
  if (settings.clientSecret) {
    const basic = Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64');
    return { Authorization: `Basic ${basic}` };
  }
  body.set('client_id', settings.clientId);
  return {};
}

/** POST {accounts}/api/token with a form body; returns the validated token response. */
export async function requestToken(
  http: SpotifyHttp,
  settings: SpotifySettings,
  form: Record<string, string>,
): Promise<TokenResponse> {
  const grant = form.grant_type === 'authorization_code' ? 'authorization code' : 'refresh token';
  const body = new URLSearchParams(form);
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded', ...clientAuth(settings, body) };
  const res = await http.send('token', `${settings.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers,
    body,
  });
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    json = undefined;
  }
  if (res.status === 200) {
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new PipelineError(
        `Spotify's token endpoint (${settings.accountsBaseUrl}/api/token) answered 200 with a malformed body (${json === undefined ? 'not JSON' : describeIssues(parsed.error)}).`,
        1,
      );
    }
    return parsed.data;
  }
  const error = (json as { error?: unknown })?.error;
  const description = (json as { error_description?: unknown })?.error_description;
  const detail = `${typeof error === 'string' ? error : `HTTP ${res.status}`}${typeof description === 'string' ? `: ${description}` : ''}`;
  if (error === 'invalid_grant') {
    throw new AuthRequiredError(
      grant === 'authorization code'
        ? `Spotify refused the authorization code (${detail}). Codes work once and only for a few minutes, with the redirect URI they were issued for: run \`spotify-pipeline auth login\` again. Nothing was stored.`
        : `Spotify refused the refresh token (${detail}). Refresh tokens expire 6 months after login and can be revoked: ${LOGIN_FIX}. Nothing was written.`,
    );
  }
  if (error === 'invalid_client' || error === 'unauthorized_client' || res.status === 401) {
    throw new ConfigError(
      `Spotify rejected the app credentials (${detail}): check SPOTIFY_CLIENT_ID${settings.clientSecret ? ' and SPOTIFY_CLIENT_SECRET' : ''} against your app at developer.spotify.com/dashboard.`,
    );
  }
  throw new PipelineError(`Spotify's token endpoint failed (${detail}).`, 1);
}

export function refreshAccessToken(http: SpotifyHttp, settings: SpotifySettings, refreshToken: string) {
  return requestToken(http, settings, { grant_type: 'refresh_token', refresh_token: refreshToken });
}
