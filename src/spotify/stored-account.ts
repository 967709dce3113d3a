import { z } from 'zod';

/** One connected Spotify account, as every token store keeps it. */
export const storedAccountSchema = z.looseObject({
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
  /**
   * When Spotify last refused this account's refresh token (`invalid_grant`: expired or revoked) and why, so
   * `auth status` says the login is gone instead of "ok". Cleared by the next refresh that works; a new login
   * writes a new account without it.
   */
  refresh_refused_at: z.string().nullable().optional(),
  refresh_refused_reason: z.string().nullable().optional(),
});
export type StoredAccount = z.infer<typeof storedAccountSchema>;
