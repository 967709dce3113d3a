import { refreshTokenExpiry, type StoredAccount } from '../spotify/token-store.js';
import { LOGIN_SCOPES } from './authorize.js';

/** Warn this long before a refresh token dies (6 months after the authorization). */
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** One account as `auth status` shows it (also its `--json` shape). */
export interface AccountStatus {
  user_id: string;
  display_name: string | null;
  scopes: string[];
  /** Scopes a new `auth login` would add (the player's, for an account that logged in before it was read). */
  missing_scopes: string[];
  access_token_valid_until: string | null;
  access_token_valid: boolean;
  authorized_at: string;
  /** False when the account came from SPOTIFY_REFRESH_TOKEN: the real authorization may be older. */
  authorized_at_known: boolean;
  refresh_token_age_days: number;
  refresh_token_expires_at: string;
  refresh_token_expires_in_days: number;
  /** refused: Spotify refused the refresh token at the last try (revoked, or expired early). */
  state: 'ok' | 'expiring' | 'expired' | 'refused';
  warning: string | null;
  last_success_at: string | null;
}

/** Pure: what is known about one account's tokens at `now`. */
export function accountStatus(
  account: StoredAccount,
  lastSuccessAt: string | null,
  now: Date,
): AccountStatus {
  const expires = refreshTokenExpiry(account);
  const accessUntil = account.access_token_expires_at;
  const daysLeft = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  const refusedAt = account.refresh_refused_at ?? null;
  const state: AccountStatus['state'] = refusedAt
    ? 'refused'
    : expires <= now
      ? 'expired'
      : daysLeft < EXPIRY_WARNING_DAYS
        ? 'expiring'
        : 'ok';
  const relogin = `run \`spotify-pipeline auth login\` as ${account.user_id} to renew it`;
  const warning =
    state === 'refused'
      ? `Spotify refused the refresh token on ${refusedAt!.slice(0, 16).replace('T', ' ')} UTC (${refusalCause(account.refresh_refused_reason)}): ${relogin}`
      : state === 'expired'
        ? `the refresh token expired on ${expires.toISOString().slice(0, 10)}: ${relogin}`
        : state === 'expiring'
          ? `the refresh token expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}: ${relogin}`
          : null;
  return {
    user_id: account.user_id,
    display_name: account.display_name,
    scopes: account.scopes,
    // An empty list is a token whose scopes were never reported: nothing to say about it.
    missing_scopes:
      account.scopes.length === 0 ? [] : LOGIN_SCOPES.filter((x) => !account.scopes.includes(x)),
    access_token_valid_until: accessUntil,
    // A refused refresh means the login was revoked or expired: its access token is not to be trusted either.
    access_token_valid:
      state !== 'refused' &&
      Boolean(account.access_token && accessUntil && Date.parse(accessUntil) > now.getTime()),
    authorized_at: account.authorized_at,
    authorized_at_known: account.authorized_at_known,
    refresh_token_age_days: Math.max(
      0,
      Math.floor((now.getTime() - Date.parse(account.authorized_at)) / DAY_MS),
    ),
    refresh_token_expires_at: expires.toISOString(),
    refresh_token_expires_in_days: daysLeft,
    state,
    warning,
    last_success_at: lastSuccessAt,
  };
}

/** Spotify's own words from the refusal (`invalid_grant: Refresh token revoked`), else a generic cause. */
function refusalCause(reason: string | null | undefined): string {
  return /\(([^()]*invalid_grant[^()]*)\)/.exec(reason ?? '')?.[1] ?? 'expired or revoked';
}

/**
 * One block per account, for people: a heading with the account and its state, then one labelled line per
 * fact, and where the tokens are kept (`storedIn`, a folder, a bucket prefix or a secret's id; never a token).
 */
export function formatAccountStatus(s: AccountStatus, storedIn?: string): string {
  const who = s.display_name ? `${s.user_id} (${s.display_name})` : s.user_id;
  const access = s.access_token_valid
    ? `valid until ${s.access_token_valid_until}`
    : s.state === 'refused'
      ? 'none'
      : 'expired (refreshed on next use)';
  const age = `${s.authorized_at_known ? '' : 'at least '}${s.refresh_token_age_days} days old`;
  const estimate = s.authorized_at_known ? '' : ' (estimated: seeded from SPOTIFY_REFRESH_TOKEN)';
  const field = (label: string, value: string) => `  ${label.padEnd(17)}${value}`;
  const lines = [
    `${who}: ${STATE_WORDS[s.state]}`,
    field('scopes', s.scopes.join(' ') || '(none)'),
    field('access token', access),
    field('refresh token', `${age}, expires ${s.refresh_token_expires_at.slice(0, 10)}${estimate}`),
    field('last collection', s.last_success_at ?? 'never'),
  ];
  if (storedIn) lines.push(field('tokens kept in', storedIn));
  if (s.warning) lines.push(`  WARNING: ${s.warning}`);
  if (s.missing_scopes.length)
    lines.push(
      `  a new \`auth login\` would add ${s.missing_scopes.join(' ')}${s.missing_scopes.includes('user-read-currently-playing') ? ' (run-continuous then reads the player: skips, episodes and plays recently-played leaves out)' : ''}`,
    );
  return lines.join('\n');
}

const STATE_WORDS: Record<AccountStatus['state'], string> = {
  ok: 'ok, can collect',
  expiring: 'ok for now, the login expires soon',
  expired: 'login expired',
  refused: 'login refused by Spotify',
};
