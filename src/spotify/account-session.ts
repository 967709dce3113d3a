import type { SpotifySettings } from '../config.js';
import { AuthRequiredError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SpotifyHttp } from './http-client.js';
import { refreshAccessToken } from './token-client.js';
import type { StoredAccount, TokenStore } from './token-store.js';
import type { TokenSource } from './web-api.js';

/** Refresh this long before the access token's expiry, so a request never goes out with a dying token. */
const EXPIRY_MARGIN_MS = 120_000;

/** One account's tokens: refreshes before expiry, keeps a rotated refresh token, persists every change. */
export class AccountSession implements TokenSource {
  constructor(
    private account: StoredAccount,
    private readonly ctx: { store: TokenStore; http: SpotifyHttp; settings: SpotifySettings; log: Logger },
  ) {}

  get userId(): string {
    return this.account.user_id;
  }

  get current(): StoredAccount {
    return this.account;
  }

  async accessToken(): Promise<string> {
    const expires = this.account.access_token_expires_at
      ? Date.parse(this.account.access_token_expires_at)
      : 0;
    if (!this.account.access_token || expires - EXPIRY_MARGIN_MS <= Date.now()) await this.refreshNow();
    return this.account.access_token!;
  }

  async refreshNow(): Promise<void> {
    // Another process may have changed the stored account since this session read it: a new `auth login` (whose
    // tokens must win over ours), or `auth logout` (which must not be undone by our save).
    const stored = await this.ctx.store.read(this.account.user_id);
    if (!stored) {
      throw new AuthRequiredError(
        `The account ${this.account.user_id} was logged out while this process ran: run \`spotify-pipeline auth login\` to connect it again.`,
      );
    }
    if (stored.refresh_token !== this.account.refresh_token) this.account = stored;
    let res;
    try {
      res = await refreshAccessToken(this.ctx.http, this.ctx.settings, this.account.refresh_token);
    } catch (err) {
      if (err instanceof AuthRequiredError) await this.recordRefusal(err);
      throw err;
    }
    const rotated = res.refresh_token !== undefined && res.refresh_token !== this.account.refresh_token;
    this.account = {
      ...this.account,
      refresh_refused_at: null,
      refresh_refused_reason: null,
      access_token: res.access_token,
      access_token_expires_at: new Date(Date.now() + res.expires_in * 1000).toISOString(),
      // Spotify MAY return a new refresh token; the old one is then dead, so it must be stored now.
      refresh_token: res.refresh_token ?? this.account.refresh_token,
      scopes: res.scope ? res.scope.split(/\s+/).filter(Boolean) : this.account.scopes,
    };
    await this.ctx.store.save(this.account);
    this.ctx.log.debug({ userId: this.account.user_id, rotated }, 'access token refreshed');
  }

  /**
   * Spotify refused the refresh token: the login is gone. Kept on the account for `auth status`; the rest of
   * the account stays as it was. Best effort: the refusal itself is what the caller reports.
   */
  private async recordRefusal(err: AuthRequiredError): Promise<void> {
    const current = await this.ctx.store.read(this.account.user_id).catch(() => undefined);
    // A new login meanwhile has a new refresh token: the refusal was of the old one.
    if (!current || current.refresh_token !== this.account.refresh_token) return;
    await this.ctx.store
      .save({
        ...current,
        refresh_refused_at: new Date().toISOString(),
        refresh_refused_reason: err.message,
      })
      .catch((saveErr: unknown) =>
        this.ctx.log.warn({ err: saveErr, userId: current.user_id }, 'could not record the refused refresh'),
      );
  }
}
