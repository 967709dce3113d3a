import { z } from 'zod';
import { ConfigError } from '../errors.js';

const schema = z.object({
  SPOTIFY_LOGIN_TIMEOUT_SECONDS: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of seconds from 1 to 3600')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(3600, 'must be at most 3600'))
    .default(300),
});

/** How long `auth login` waits for the browser (default 5 minutes). */
export function loginTimeoutMs(raw: Record<string, string>): number {
  const parsed = schema.safeParse({ SPOTIFY_LOGIN_TIMEOUT_SECONDS: raw.SPOTIFY_LOGIN_TIMEOUT_SECONDS });
  if (!parsed.success) {
    throw new ConfigError(
      `SPOTIFY_LOGIN_TIMEOUT_SECONDS ${parsed.error.issues[0]?.message}: fix it in .env or the environment, or remove it for the default of 300.`,
    );
  }
  return parsed.data.SPOTIFY_LOGIN_TIMEOUT_SECONDS * 1000;
}
