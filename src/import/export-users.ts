import { ConfigError } from '../errors.js';
import type { StoredAccount } from '../spotify/token-store.js';

/**
 * Whose plays the rows that name no user are (docs/import.md, "user_id"). One file is one account's: rows
 * with an empty `username` take the user the file's other rows name. Then --user; then the user the
 * export's Extended rows name (one export is one person's, so its Account Data rows are theirs); then the
 * only connected account. Asked only when such a row is kept, so an export whose rows all name their user
 * needs none of these.
 */
export class ExportUsers {
  /** Users named by the export's Extended rows so far. */
  private readonly named = new Set<string>();
  /** Users named by the rows of the file being read. */
  private readonly inFile = new Set<string>();
  private file = '';
  /** The user a checkpoint is keyed by: --user, else the only connected account. */
  readonly fallback: string | undefined;

  constructor(
    private readonly user: string | undefined,
    private readonly accounts: StoredAccount[],
  ) {
    this.fallback = user ?? (accounts.length === 1 ? accounts[0]!.user_id : undefined);
  }

  /** A new file: its rows name their own user (`named`: the one its rows named before a resume). */
  beginFile(display: string, named?: string): void {
    this.file = display;
    this.inFile.clear();
    if (named !== undefined) this.inFile.add(named);
  }

  /** The one user the file's rows name so far, for its checkpoint. */
  get fileUser(): string | undefined {
    return this.inFile.size === 1 ? [...this.inFile][0] : undefined;
  }

  /** A row names its user. */
  noteNamed(userId: string, extended: boolean): void {
    this.inFile.add(userId);
    if (extended) this.named.add(userId);
  }

  /** Whether the file's rows have named a user yet: until then, a row with an empty name waits. */
  get fileNamesAUser(): boolean {
    return this.inFile.size > 0;
  }

  /** The user of a row that names none; throws (exit 2) when nothing decides it. */
  unnamedUser(): string {
    if (this.inFile.size === 1) return [...this.inFile][0]!;
    if (this.inFile.size > 1) {
      if (this.user !== undefined) return this.user;
      throw new ConfigError(
        `${this.file}: its rows name several accounts (${[...this.inFile].join(', ')}) and some name none: pass --user <id> to say whose those are.`,
      );
    }
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
