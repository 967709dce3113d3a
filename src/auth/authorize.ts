import { createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

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

/** A PKCE pair (RFC 7636): a 64-character verifier and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An unguessable `state`, so a callback that we did not ask for is refused. */
export function createState(): string {
  return randomBytes(16).toString('hex');
}

/** Where the one-shot callback server listens, taken from SPOTIFY_REDIRECT_URI. */
export interface LoopbackRedirect {
  uri: string;
  /** Host to bind: `127.0.0.1` or `::1`. */
  host: string;
  port: number;
  path: string;
}

const LOOPBACK_HOSTS = new Map([
  ['127.0.0.1', '127.0.0.1'],
  ['[::1]', '::1'],
]);

/**
 * Checks SPOTIFY_REDIRECT_URI against Spotify's rules (April 2025): plain http is only allowed on a
 * loopback IP literal, `localhost` is refused. The error names the URI to register instead.
 */
export function parseRedirectUri(uri: string): LoopbackRedirect {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ConfigError(
      `SPOTIFY_REDIRECT_URI "${uri}" is not a URL: set it to http://127.0.0.1:8888/callback and register that exact URI in your app at developer.spotify.com/dashboard.`,
    );
  }
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  const suggestion = `http://127.0.0.1:${url.port || '8888'}${url.pathname === '/' ? '/callback' : url.pathname}`;
  if (url.hostname === 'localhost') {
    throw new ConfigError(
      `SPOTIFY_REDIRECT_URI "${uri}" uses "localhost", which Spotify no longer accepts as a redirect URI. Use the loopback address instead: set SPOTIFY_REDIRECT_URI=${suggestion} and register exactly that URI in your app at developer.spotify.com/dashboard.`,
    );
  }
  const host = LOOPBACK_HOSTS.get(url.hostname);
  if (url.protocol !== 'http:' || !host) {
    throw new ConfigError(
      `SPOTIFY_REDIRECT_URI "${uri}" is not a loopback address: \`auth login\` receives Spotify's answer on this machine, so it must be http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH. Set SPOTIFY_REDIRECT_URI=${suggestion} and register exactly that URI in your app at developer.spotify.com/dashboard.`,
    );
  }
  return { uri, host, port: Number(port), path: url.pathname };
}
