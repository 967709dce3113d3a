import { ConfigError } from '../errors.js';
import type { StoredAccount } from '../spotify/token-store.js';

/**
 * Whose plays rows without a `username` are: --user; else the user the export's Extended rows name (one
 * export is one person's, so its Account Data rows are theirs); else the only connected account. Asked only
 * when such a row is met, so an export whose rows all name their user needs none of these.
 */
export class ExportUsers {
  /** Users named by the export's Extended rows. */
  readonly named = new Set<string>();
  /** The user a checkpoint is keyed by: --user, else the only connected account. */
  readonly fallback: string | undefined;

  constructor(
    private readonly user: string | undefined,
    private readonly accounts: StoredAccount[],
  ) {
    this.fallback = user ?? (accounts.length === 1 ? accounts[0]!.user_id : undefined);
  }

  fallbackUser(): string {
    if (this.user !== undefined) return this.user;
    if (this.named.size === 1) return [...this.named][0]!;
    if (this.fallback !== undefined) return this.fallback;
    throw new ConfigError(
      this.accounts.length === 0
        ? 'These export rows do not say whose plays they are (no "username"), and no Spotify account is connected: pass --user <your Spotify user id>.'
        : `These export rows do not say whose plays they are (no "username"), and several accounts are connected (${this.accounts.map((a) => a.user_id).join(', ')}): pass --user <id> to say whose export this is.`,
    );
  }
}
