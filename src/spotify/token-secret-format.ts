import { storedAccountSchema, type StoredAccount } from './stored-account.js';

/**
 * What the Spotify token secret holds. The pipeline writes `{"v":1,"accounts":{"<user id>": <account>}}`.
 * As a first value a user may paste just a refresh token: the bare string, or a key/value secret
 * `{"refresh_token":"…"}` / `{"SPOTIFY_REFRESH_TOKEN":"…"}` (what the console's key/value editor makes). That
 * is a seed: the first run connects it like SPOTIFY_REFRESH_TOKEN and replaces the value with the document.
 */
export interface TokenDocument {
  accounts: Record<string, StoredAccount>;
  /** A pasted refresh token not yet connected to an account. */
  seed?: string;
}

export const EMPTY_DOCUMENT: TokenDocument = { accounts: {} };

const SEED_KEYS = ['refresh_token', 'SPOTIFY_REFRESH_TOKEN'];

/**
 * Parses the secret's value. Throws an Error whose message names what is wrong, never the value itself
 * (it holds tokens).
 */
export function parseTokenSecret(value: string | undefined): TokenDocument {
  const text = value?.trim() ?? '';
  if (text === '') return { accounts: {} };
  if (!text.startsWith('{')) {
    if (/\s/.test(text)) {
      throw new Error('it is neither JSON nor a single refresh token (it contains spaces or line breaks)');
    }
    return { accounts: {}, seed: text };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('it starts with "{" but is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('it is not a JSON object');
  const obj = json as Record<string, unknown>;
  const seedKey = SEED_KEYS.find((k) => typeof obj[k] === 'string' && (obj[k] as string).trim() !== '');
  if (obj.accounts === undefined && seedKey) return { accounts: {}, seed: (obj[seedKey] as string).trim() };
  if (
    obj.v !== 1 ||
    typeof obj.accounts !== 'object' ||
    obj.accounts === null ||
    Array.isArray(obj.accounts)
  ) {
    throw new Error(
      'it is a JSON object without "v": 1 and "accounts" (nor a "refresh_token" key to start from)',
    );
  }
  const accounts: Record<string, StoredAccount> = {};
  for (const [id, raw] of Object.entries(obj.accounts as Record<string, unknown>)) {
    const parsed = storedAccountSchema.safeParse(raw);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(the entry)'))].join(
        ', ',
      );
      throw new Error(`the account "${id}" has missing or invalid fields: ${fields}`);
    }
    if (parsed.data.user_id !== id)
      throw new Error(`the account under "${id}" says it is "${parsed.data.user_id}"`);
    accounts[id] = parsed.data;
  }
  return { accounts };
}

/**
 * The account as the secret keeps it: without the access token, which lasts an hour and is fetched again by
 * each run. Leaving it out means a plain token refresh changes nothing in the secret (Secrets Manager asks for
 * at most one PutSecretValue every 10 minutes), and the secret holds only what must survive a restart.
 */
export function persistedAccount(account: StoredAccount): StoredAccount {
  return { ...account, access_token: null, access_token_expires_at: null };
}

/** Same account for the secret, ignoring when it was last written. */
export function sameAccount(a: StoredAccount | undefined, b: StoredAccount | undefined): boolean {
  if (!a || !b) return a === b;
  return JSON.stringify({ ...a, updated_at: '' }) === JSON.stringify({ ...b, updated_at: '' });
}

/** One account's change, applied on top of whatever the secret holds now (another writer's accounts stay). */
export type AccountChange = { set: StoredAccount } | { remove: string };

/** The document after `change`, or undefined when the change is already there (nothing to write). */
export function applyChange(doc: TokenDocument, change: AccountChange, now: Date): TokenDocument | undefined {
  const accounts = { ...doc.accounts };
  if ('set' in change) {
    const next = persistedAccount(change.set);
    const stored = accounts[next.user_id];
    if (stored && sameAccount(persistedAccount(stored), next) && doc.seed === undefined) return undefined;
    accounts[next.user_id] = { ...next, updated_at: now.toISOString() };
  } else {
    if (!(change.remove in accounts)) return undefined;
    delete accounts[change.remove];
  }
  // Once an account is written, a pasted seed has done its job: the document replaces it.
  return { accounts };
}

/** The secret's value: accounts sorted by id, so equal documents are equal strings. */
export function serializeTokenDocument(doc: TokenDocument): string {
  const accounts: Record<string, StoredAccount> = {};
  for (const id of Object.keys(doc.accounts).sort()) accounts[id] = doc.accounts[id]!;
  return JSON.stringify({ v: 1, accounts });
}
