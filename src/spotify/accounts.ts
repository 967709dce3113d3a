import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { AuthRequiredError, ConfigError, PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { AccountSession } from './account-session.js';
import type { SpotifyHttp } from './http-client.js';
import { refreshAccessToken } from './token-client.js';
import { tokenStore } from './open-token-store.js';
import type { StoredAccount, TokenStore } from './token-store.js';
import { SpotifyWebApi } from './web-api.js';

export const NO_ACCOUNT_MESSAGE =
  'No Spotify account is connected. Either run `spotify-pipeline auth login` (or `spotify-pipeline setup`), or set SPOTIFY_CLIENT_ID and SPOTIFY_REFRESH_TOKEN (plus SPOTIFY_CLIENT_SECRET if your app uses one) in .env or the environment.';

/**
 * NO_ACCOUNT_MESSAGE and where the accounts and the settings were looked for: run from another folder, the
 * `.env` and `./.pipeline` the tool reads are other ones, and only these paths show it.
 */
export function noAccountMessage(config: Config, store: TokenStore): string {
  const env = config.envFile.found ? config.envFile.path : `${config.envFile.path} (not found)`;
  return `${NO_ACCOUNT_MESSAGE} Looked for accounts in ${store.location}, and for settings in the environment and ${env}.`;
}

export interface ConnectedAccount {
  session: AccountSession;
  api: SpotifyWebApi;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Adds the account behind SPOTIFY_REFRESH_TOKEN to the token store the first time that token is seen
 * (headless hosts: containers, CI). Later runs use the stored, possibly rotated, token instead. Returns the
 * stored accounts when it listed them and changed nothing.
 */
async function seedFromEnvironment(
  config: Config,
  store: TokenStore,
  http: SpotifyHttp,
  log: Logger,
): Promise<StoredAccount[] | undefined> {
  // A token pasted into the token secret is a seed too; the environment's wins when both are set.
  const pasted = config.spotify.refreshToken ? undefined : await store.seed?.();
  const seed = config.spotify.refreshToken ?? pasted;
  if (!seed) return undefined;
  const source = pasted ? 'the token secret (SPOTIFY_TOKEN_SECRET_ID)' : 'SPOTIFY_REFRESH_TOKEN';
  const hash = sha256(seed);
  const accounts = await store.list();
  if (accounts.some((a) => a.seed_sha256 === hash || a.refresh_token === seed)) return accounts;
  if (!config.spotify.clientId) {
    throw new ConfigError(
      `A refresh token is in ${source} but SPOTIFY_CLIENT_ID is not set: set SPOTIFY_CLIENT_ID to the client id of the app that issued the token.`,
    );
  }
  const tokens = await refreshAccessToken(http, config.spotify, seed);
  const now = new Date();
  const draft: StoredAccount = {
    v: 1,
    user_id: '(pending)',
    display_name: null,
    refresh_token: tokens.refresh_token ?? seed,
    access_token: tokens.access_token,
    access_token_expires_at: new Date(now.getTime() + tokens.expires_in * 1000).toISOString(),
    scopes: tokens.scope ? tokens.scope.split(/\s+/).filter(Boolean) : [],
    authorized_at: now.toISOString(),
    authorized_at_known: false,
    client_id: config.spotify.clientId,
    seed_sha256: hash,
    updated_at: now.toISOString(),
  };
  const api = new SpotifyWebApi(http, config.spotify, {
    accessToken: async () => draft.access_token!,
    refreshNow: async () => {},
  });
  const me = await api.getMe();
  const existing = await store.read(me.id);
  await store.save({
    ...draft,
    user_id: me.id,
    display_name: me.display_name ?? null,
    // The same user logged in before: keep what we knew of the original authorization.
    ...(existing?.authorized_at_known
      ? { authorized_at: existing.authorized_at, authorized_at_known: true }
      : {}),
  });
  log.info({ userId: me.id }, `account added from ${source}`);
  return undefined;
}

/**
 * The accounts to collect: every stored one (or just `only`), after seeding from the environment.
 * A seed that fails (say its token was revoked) stops nothing while other accounts are stored: it goes to
 * `onSeedProblem` (the run reports it) and the others still collect. With `only` naming a stored account,
 * no seeding is tried at all.
 */
export async function connectAccounts(
  config: Config,
  http: SpotifyHttp,
  log: Logger,
  only?: string,
  onSeedProblem?: (err: PipelineError) => void,
): Promise<ConnectedAccount[]> {
  const store = await tokenStore(config);
  const onlyIsStored = only !== undefined && (await store.read(only)) !== undefined;
  // The accounts as the seed check listed them, when it changed nothing: on S3 state a listing is a LIST and
  // a GET per account, so a run lists once.
  let listed: StoredAccount[] | undefined;
  if (!onlyIsStored) {
    try {
      listed = await seedFromEnvironment(config, store, http, log);
    } catch (err) {
      if (!(err instanceof PipelineError) || (await store.list()).length === 0) throw err;
      const problem = new (err instanceof AuthRequiredError ? AuthRequiredError : PipelineError)(
        `SPOTIFY_REFRESH_TOKEN could not be used (${err.message}) The connected accounts were still collected; remove or replace SPOTIFY_REFRESH_TOKEN in .env or the environment.`,
      );
      log.warn(
        { err: err.message },
        'SPOTIFY_REFRESH_TOKEN could not be used; collecting the stored accounts',
      );
      onSeedProblem?.(problem);
    }
  }
  let accounts = listed ?? (await store.list());
  if (accounts.length === 0) throw new AuthRequiredError(noAccountMessage(config, store));
  if (only !== undefined) {
    accounts = accounts.filter((a) => a.user_id === only);
    if (accounts.length === 0) {
      const known = (await store.list()).map((a) => a.user_id).join(', ');
      throw new ConfigError(`--account ${only}: no such account is connected (connected: ${known}).`);
    }
  }
  return accounts.map((account) => {
    const session = new AccountSession(account, {
      store,
      http,
      settings: config.spotify,
      log,
    });
    return { session, api: new SpotifyWebApi(http, config.spotify, session) };
  });
}
