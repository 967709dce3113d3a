import { errorMessage } from '../errors.js';
import { connectAccounts } from '../spotify/accounts.js';
import { SpotifyHttp } from '../spotify/http-client.js';
import type { CheckResult, ConnectionCheck } from './check.js';

/** For each connected account: refresh its token and call /me. */
export const spotifyCheck: ConnectionCheck = async (config, log) => {
  const http = new SpotifyHttp(config.spotify, log);
  let accounts;
  const results: CheckResult[] = [];
  try {
    accounts = await connectAccounts(config, http, log, undefined, (err) =>
      results.push({ name: 'Spotify SPOTIFY_REFRESH_TOKEN', ok: false, detail: err.message }),
    );
  } catch (err) {
    return [{ name: 'Spotify', ok: false, detail: errorMessage(err) }];
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
      results.push({ name, ok: false, detail: errorMessage(err) });
    }
  }
  return results;
};
