/**
 * What the login asks for: reading recently played tracks, and the player (run-continuous sees the skips,
 * episodes and plays recently-played leaves out, docs/player.md). `/me` needs no scope of its own.
 */
export const LOGIN_SCOPES = ['user-read-recently-played', 'user-read-currently-playing'] as const;

export interface AuthorizeRequest {
  accountsBaseUrl: string;
  clientId: string;
  redirectUri: string;
  state: string;
  /** Set for Authorization Code with PKCE (no client secret). */
  codeChallenge?: string;
}

/** The Spotify authorization page the user opens in a browser. */
export function authorizeUrl(req: AuthorizeRequest): string {
  const url = new URL(`${req.accountsBaseUrl}/authorize`);
  url.searchParams.set('client_id', req.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', req.redirectUri);
  url.searchParams.set('scope', LOGIN_SCOPES.join(' '));
  url.searchParams.set('state', req.state);
  if (req.codeChallenge) {
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('code_challenge', req.codeChallenge);
  }
  return url.toString();
}
