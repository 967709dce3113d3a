import type { Config } from '../config.js';
import { AuthRequiredError, ConfigError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { SpotifyHttp } from '../spotify/http-client.js';
import { requestToken } from '../spotify/token-client.js';
import { tokenStore } from '../spotify/open-token-store.js';
import type { StoredAccount } from '../spotify/token-store.js';
import { SpotifyWebApi } from '../spotify/web-api.js';
import { authorizeUrl, createPkcePair, createState, LOGIN_SCOPES, parseRedirectUri } from './authorize.js';
import { readPastedCallback, startCallbackServer, type CallbackOutcome } from './callback.js';
import { loginTimeoutMs } from './login-settings.js';
import { openBrowser } from './open-browser.js';

/** Development Mode apps (February 2026) allow 5 users. */
export const DEVELOPMENT_MODE_USER_LIMIT = 5;

export interface LoginOptions {
  /** `browser`: open it and wait; `print`: only print the URL and wait; `paste`: read the callback address. */
  mode: 'browser' | 'print' | 'paste';
  out: NodeJS.WritableStream;
  input: NodeJS.ReadableStream;
}

export interface LoginResult {
  account: StoredAccount;
  /** False when this user was connected already (its tokens were replaced). */
  added: boolean;
  flow: 'pkce' | 'secret';
  accountCount: number;
}

/** Turns Spotify's `error` on the callback (RFC 6749 §4.1.2.1) into a message with the fix. */
function authorizationRefused(error: string, description: string | null): AuthRequiredError {
  const why = `Spotify answered ${error}${description ? ` (${description})` : ''}${error === 'access_denied' ? ': the access was not granted' : ''}`;
  return new AuthRequiredError(
    `Login refused: ${why}. Nothing was stored. Run \`spotify-pipeline auth login\` again and choose "Agree"; in Development Mode the Spotify user must also be listed under User Management of the app.`,
  );
}

/**
 * `auth login`: Authorization Code with PKCE (no client secret) or with the secret, a random state checked
 * on return, a one-shot loopback server (or a pasted address), then the tokens and `/me` are stored.
 */
export async function login(config: Config, log: Logger, options: LoginOptions): Promise<LoginResult> {
  const { spotify } = config;
  // Refuse a bad redirect URI before anything starts: Spotify would refuse it anyway.
  const redirect = parseRedirectUri(spotify.redirectUri);
  if (!spotify.clientId) {
    throw new ConfigError(
      'SPOTIFY_CLIENT_ID is not set: create an app at developer.spotify.com/dashboard and set SPOTIFY_CLIENT_ID to its client id in .env (or run `spotify-pipeline setup`).',
    );
  }
  const timeoutMs = loginTimeoutMs(config.raw);
  const flow = spotify.clientSecret ? 'secret' : 'pkce';
  const pkce = flow === 'pkce' ? createPkcePair() : undefined;
  const state = createState();
  const url = authorizeUrl({
    accountsBaseUrl: spotify.accountsBaseUrl,
    clientId: spotify.clientId,
    redirectUri: redirect.uri,
    state,
    codeChallenge: pkce?.challenge,
  });
  const http = new SpotifyHttp(spotify, log);
  // With a secret the app's credentials can be checked before anyone opens a browser: the Client Credentials
  // grant takes nothing but them (https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow),
  // and a wrong id or secret answers invalid_client at once, instead of an INVALID_CLIENT page in the browser
  // and a login that waits for its timeout. Without a secret (PKCE) there is no such call: the waiting line
  // says what that page means.
  if (spotify.clientSecret) {
    const { requestToken } = await import('../spotify/token-client.js');
    await requestToken(http, spotify, { grant_type: 'client_credentials' });
  }
  let result: LoginResult | undefined;

  const complete = async (params: URLSearchParams): Promise<void> => {
    const error = params.get('error');
    // The state is checked first: an answer we did not ask for is refused whatever it says.
    if (params.get('state') !== state) {
      throw new AuthRequiredError(
        'Login refused: the answer did not carry the `state` this login sent (an old or forged link). Nothing was stored. Run `spotify-pipeline auth login` again and use the new link.',
      );
    }
    if (error) throw authorizationRefused(error, params.get('error_description'));
    const code = params.get('code');
    if (!code) {
      throw new AuthRequiredError(
        'Login failed: the answer carried neither a code nor an error. Run `spotify-pipeline auth login` again.',
      );
    }
    result = await exchangeAndStore(config, http, log, { code, redirectUri: redirect.uri, pkce, flow });
  };

  const out = options.out;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AuthRequiredError(
            `Login timed out: no answer from the browser within ${Math.round(timeoutMs / 1000)} seconds. Nothing was stored. Run \`spotify-pipeline auth login\` again${options.mode === 'paste' ? ' and paste the address sooner' : ''}.`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    if (options.mode === 'paste') {
      out.write(
        `Open this address in a browser on any machine and approve the access:\n\n  ${url}\n\n` +
          `The browser is then sent to ${redirect.uri}?code=... which will not load there: that is expected.\n` +
          `Paste the full address from its address bar here and press Enter:\n`,
      );
      const params = await Promise.race([readPastedCallback(options.input, redirect.path, out), timeout]);
      await Promise.race([complete(params), timeout]);
    } else {
      const server = await startCallbackServer(redirect, complete, (err) => describeOutcome(err, result));
      try {
        out.write(
          `Open this address in your browser to connect a Spotify account:\n\n  ${url}\n\nWaiting for Spotify to send the browser back to ${redirect.uri} ...\n` +
            `(A Spotify page saying INVALID_CLIENT means the client id or the redirect URI is not the app's: press Ctrl-C, fix SPOTIFY_CLIENT_ID or register ${redirect.uri} at developer.spotify.com/dashboard, and log in again.)\n`,
        );
        if (options.mode === 'browser') openBrowser(url);
        await Promise.race([server.done, timeout]);
      } finally {
        await server.close();
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (!result)
    throw new AuthRequiredError('Login did not complete. Run `spotify-pipeline auth login` again.');
  return result;
}

function describeOutcome(err: unknown, result: LoginResult | undefined): CallbackOutcome {
  if (err === undefined && result) {
    const who = result.account.display_name
      ? `${result.account.display_name} (${result.account.user_id})`
      : result.account.user_id;
    return {
      ok: true,
      title: 'Spotify account connected',
      message: `It worked: ${who} is connected to spotify-pipeline.`,
    };
  }
  return { ok: false, title: 'Spotify login failed', message: errorMessage(err) };
}

async function exchangeAndStore(
  config: Config,
  http: SpotifyHttp,
  log: Logger,
  grant: {
    code: string;
    redirectUri: string;
    pkce: { verifier: string } | undefined;
    flow: 'pkce' | 'secret';
  },
): Promise<LoginResult> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
  };
  if (grant.pkce) form.code_verifier = grant.pkce.verifier;
  const tokens = await requestToken(http, config.spotify, form);
  if (!tokens.refresh_token) {
    throw new AuthRequiredError(
      'Spotify granted access but sent no refresh token, so the pipeline could not keep collecting. Nothing was stored. Run `spotify-pipeline auth login` again.',
    );
  }
  const now = new Date();
  const api = new SpotifyWebApi(http, config.spotify, {
    accessToken: async () => tokens.access_token,
    refreshNow: async () => {},
  });
  const me = await api.getMe();
  const store = await tokenStore(config);
  const existing = await store.read(me.id);
  const account: StoredAccount = {
    v: 1,
    user_id: me.id,
    display_name: me.display_name ?? null,
    refresh_token: tokens.refresh_token,
    access_token: tokens.access_token,
    access_token_expires_at: new Date(now.getTime() + tokens.expires_in * 1000).toISOString(),
    scopes: tokens.scope ? tokens.scope.split(/\s+/).filter(Boolean) : [...LOGIN_SCOPES],
    // A new authorization starts a new 6-month refresh-token life.
    authorized_at: now.toISOString(),
    authorized_at_known: true,
    client_id: config.spotify.clientId ?? null,
    // Keep the seed marker: a dead SPOTIFY_REFRESH_TOKEN of this user must not be tried again.
    seed_sha256: existing?.seed_sha256 ?? null,
    updated_at: now.toISOString(),
  };
  await store.save(account);
  const accountCount = (await store.list()).length;
  log.info({ userId: me.id, flow: grant.flow, added: !existing }, 'Spotify account connected');
  return { account, added: !existing, flow: grant.flow, accountCount };
}
