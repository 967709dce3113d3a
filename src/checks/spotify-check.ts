import { errorMessage } from '../errors.js';
import { connectAccounts } from '../spotify/accounts.js';
import { SpotifyHttp } from '../spotify/http-client.js';
import type { CheckResult, ConnectionCheck } from './check.js';
import { permanentlyUnreachable } from './spotify-reachability.js';

/** For each connected account: refresh its token and call /me. */
export const spotifyCheck: ConnectionCheck = async (config, log) => {
  // A host that does not exist or a refused local port fails at once, not after every retry's wait.
  for (const [setting, url] of [
    ['SPOTIFY_ACCOUNTS_BASE_URL', config.spotify.accountsBaseUrl],
    ['SPOTIFY_API_BASE_URL', config.spotify.apiBaseUrl],
  ] as const) {
    const reason = config.spotify.clientId ? await permanentlyUnreachable(url, setting) : undefined;
    if (reason) return [{ name: 'Spotify', ok: false, detail: `Spotify cannot be reached: ${reason}` }];
  }
  const http = new SpotifyHttp(config.spotify, log);
  let accounts;
  const results: CheckResult[] = [];
  try {
    accounts = await connectAccounts(config, http, log, undefined, (err) =>
      results.push({ name: 'Spotify SPOTIFY_REFRESH_TOKEN', ok: false, detail: err.message }),
    );
  } catch (err) {
    return [{ name: 'Spotify', ok: false, detail: checkWording(errorMessage(err)) }];
  }
  for (const { session, api } of accounts) {
    const name = `Spotify account ${session.userId}`;
    try {
      await session.refreshNow();
      const me = await api.getMe();
      results.push({
        name,
        ok: true,
        detail: `token refreshed, /me answered${me.display_name ? ` (${me.display_name})` : ''}`,
      });
    } catch (err) {
      results.push({ name, ok: false, detail: checkWording(errorMessage(err)) });
    }
  }
  return results;
};

/**
 * The token and API errors are worded for the collecting commands ("Nothing was written", "Nothing collected
 * was lost"); `test` never writes, so those sentences would only puzzle.
 */
function checkWording(message: string): string {
  return message.replace(/ Nothing (was written|collected was lost)\.(?=$|\s)/g, '').trim();
}
