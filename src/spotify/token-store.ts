import { promises as fs } from 'node:fs';
import path from 'node:path';
import { corruptState, readStateFile, writeStateFile } from '../state/json-file.js';
import { accountKey, STATE_KEYS } from '../state/layout.js';
import type { StateStore } from '../state/state-store.js';
import { makeDirectory } from '../fs/folders.js';

import { storedAccountSchema, type StoredAccount } from './stored-account.js';

export { storedAccountSchema, type StoredAccount } from './stored-account.js';

/**
 * Where the connected accounts' tokens live: files in STATE_DIR/accounts/, or one AWS Secrets Manager secret
 * (SPOTIFY_TOKEN_SECRET_ID). Every call reads or writes the store itself (no cache across calls), so another
 * process's `auth login`, `auth logout` or token rotation is seen at the next call.
 */
export interface TokenStore {
  /** For messages: a folder path or the secret's id. */
  readonly location: string;
  /** All connected accounts, sorted by user id. */
  list(): Promise<StoredAccount[]>;
  read(userId: string): Promise<StoredAccount | undefined>;
  /** Adds or replaces the account (its updated_at is set to now). */
  save(account: StoredAccount): Promise<void>;
  /** False when there was no such account. */
  remove(userId: string): Promise<boolean>;
  /**
   * A refresh token the store holds that no account claims yet (a secret holding only a pasted token):
   * connecting it works like SPOTIFY_REFRESH_TOKEN. Stores without such a thing leave this out.
   */
  seed?(): Promise<string | undefined>;
}

export function accountsDir(stateDir: string): string {
  // The key names a folder (a trailing slash); a path shown to users names it without one.
  return path.join(stateDir, STATE_KEYS.accounts.replace(/\/$/, ''));
}

/** Each account in STATE_DIR/accounts/<url-encoded user id>.json, mode 0600 (its folder 0700). */
export class FileTokenStore implements TokenStore {
  readonly location: string;
  constructor(private readonly stateDir: string) {
    this.location = accountsDir(stateDir);
  }

  private file(userId: string): string {
    return path.join(this.stateDir, accountKey(userId));
  }

  async read(userId: string): Promise<StoredAccount | undefined> {
    return readStateFile(this.file(userId), (v) => storedAccountSchema.parse(v));
  }

  /** A corrupt token file stops with a clear message. */
  async list(): Promise<StoredAccount[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.location);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: StoredAccount[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const account = await readStateFile(path.join(this.location, name), (v) =>
        storedAccountSchema.parse(v),
      );
      if (account) out.push(account);
    }
    return out;
  }

  /** Writes the token file atomically with mode 0600: it holds secrets. */
  async save(account: StoredAccount): Promise<void> {
    await makeDirectory(this.location, 0o700);
    await writeStateFile(
      this.file(account.user_id),
      { ...account, updated_at: new Date().toISOString() },
      0o600,
    );
  }

  async remove(userId: string): Promise<boolean> {
    try {
      await fs.rm(this.file(userId));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/**
 * The accounts as objects of a StateStore (STATE_URL=s3://…): the same keys and bytes as the files, one object
 * per account, so a STATE_DIR migrated to the object store keeps its tokens. Each writer writes only its own
 * account's object, as with the files.
 */
export class StateTokenStore implements TokenStore {
  readonly location: string;
  constructor(private readonly state: StateStore) {
    this.location = `${state.location.replace(/\/?$/, '/')}${STATE_KEYS.accounts}`;
  }

  async read(userId: string): Promise<StoredAccount | undefined> {
    return this.parse(accountKey(userId), (await this.state.read(accountKey(userId)))?.body);
  }

  async list(): Promise<StoredAccount[]> {
    const out: StoredAccount[] = [];
    for (const key of (await this.state.list(STATE_KEYS.accounts))
      .filter((k) => k.endsWith('.json'))
      .sort()) {
      const account = this.parse(key, (await this.state.read(key))?.body);
      if (account) out.push(account);
    }
    return out;
  }

  async save(account: StoredAccount): Promise<void> {
    const body = `${JSON.stringify({ ...account, updated_at: new Date().toISOString() })}\n`;
    await this.state.put(accountKey(account.user_id), body);
  }

  async remove(userId: string): Promise<boolean> {
    if (!(await this.state.read(accountKey(userId)))) return false;
    await this.state.delete(accountKey(userId));
    return true;
  }

  private parse(key: string, body: Buffer | undefined): StoredAccount | undefined {
    if (!body) return undefined;
    try {
      return storedAccountSchema.parse(JSON.parse(body.toString('utf8')));
    } catch (err) {
      throw corruptState(`${this.state.location.replace(/\/?$/, '/')}${key}`, err);
    }
  }
}

/** Refresh tokens expire 6 months after the original authorization (Spotify, June 2026). */
export function refreshTokenExpiry(account: Pick<StoredAccount, 'authorized_at'>): Date {
  const d = new Date(account.authorized_at);
  d.setUTCMonth(d.getUTCMonth() + 6);
  return d;
}
