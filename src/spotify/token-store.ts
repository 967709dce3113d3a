import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readStateFile, writeStateFile } from '../state/json-file.js';

/** One connected Spotify account, stored in STATE_DIR/accounts/<user id>.json with mode 0600. */
const storedAccountSchema = z.looseObject({
  v: z.literal(1),
  user_id: z.string().min(1),
  display_name: z.string().nullable(),
  refresh_token: z.string().min(1),
  access_token: z.string().nullable(),
  /** ISO time the access token stops working. */
  access_token_expires_at: z.string().nullable(),
  scopes: z.array(z.string()),
  /** When the user granted access: refresh tokens die 6 months after it (refreshing does not extend them). */
  authorized_at: z.string(),
  /** False when the token came from SPOTIFY_REFRESH_TOKEN: authorized_at is then when we first saw it. */
  authorized_at_known: z.boolean(),
  /** The client id the tokens belong to (a refresh with another client fails). */
  client_id: z.string().nullable(),
  /** sha256 of SPOTIFY_REFRESH_TOKEN when the account was seeded from it, so a rotated token is not re-seeded. */
  seed_sha256: z.string().nullable(),
  updated_at: z.string(),
});
export type StoredAccount = z.infer<typeof storedAccountSchema>;

export function accountsDir(stateDir: string): string {
  return path.join(stateDir, 'accounts');
}

function accountFile(stateDir: string, userId: string): string {
  return path.join(accountsDir(stateDir), `${encodeURIComponent(userId)}.json`);
}

export async function readAccount(stateDir: string, userId: string): Promise<StoredAccount | undefined> {
  return readStateFile(accountFile(stateDir, userId), (v) => storedAccountSchema.parse(v));
}

/** All connected accounts, sorted by user id. A corrupt token file stops with a clear message. */
export async function listAccounts(stateDir: string): Promise<StoredAccount[]> {
  let names: string[];
  try {
    names = await fs.readdir(accountsDir(stateDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: StoredAccount[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const account = await readStateFile(path.join(accountsDir(stateDir), name), (v) =>
      storedAccountSchema.parse(v),
    );
    if (account) out.push(account);
  }
  return out;
}

/** Writes the token file atomically with mode 0600 (its folder 0700): it holds secrets. */
export async function saveAccount(stateDir: string, account: StoredAccount): Promise<void> {
  await fs.mkdir(accountsDir(stateDir), { recursive: true, mode: 0o700 });
  await writeStateFile(
    accountFile(stateDir, account.user_id),
    { ...account, updated_at: new Date().toISOString() },
    0o600,
  );
}

export async function removeAccount(stateDir: string, userId: string): Promise<boolean> {
  const file = accountFile(stateDir, userId);
  try {
    await fs.rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Refresh tokens expire 6 months after the original authorization (Spotify, June 2026). */
export function refreshTokenExpiry(account: Pick<StoredAccount, 'authorized_at'>): Date {
  const d = new Date(account.authorized_at);
  d.setUTCMonth(d.getUTCMonth() + 6);
  return d;
}
