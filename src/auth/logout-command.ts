import type { CommandContext } from '../commands/command-runner.js';
import { ConfigError } from '../errors.js';
import { tokenStore } from '../spotify/open-token-store.js';

/** `auth logout [ID]`: forgets the tokens of one account; its lake data and collection state stay. */
export async function runLogout(ctx: CommandContext, id: string | undefined): Promise<number> {
  const store = await tokenStore(ctx.config);
  const accounts = await store.list();
  const known = accounts.map((a) => a.user_id).join(', ') || 'none';
  let target = id;
  if (target === undefined) {
    if (accounts.length !== 1) {
      throw new ConfigError(
        accounts.length === 0
          ? 'No Spotify account is connected: nothing to log out.'
          : `Several accounts are connected (${known}): name one, for example \`spotify-pipeline auth logout ${accounts[0]!.user_id}\`.`,
      );
    }
    target = accounts[0]!.user_id;
  }
  const account = accounts.find((a) => a.user_id === target);
  if (!account || !(await store.remove(target))) {
    throw new ConfigError(`No account ${target} is connected (connected: ${known}).`);
  }
  process.stdout.write(
    `Forgot the Spotify tokens of ${target}. Its plays already in the lake (${ctx.config.storage.bucket ? `s3://${ctx.config.storage.bucket}` : ctx.config.storage.dataDir}) stay; to also revoke the app's access, remove it at https://www.spotify.com/account/apps/.\n`,
  );
  if (account.seed_sha256 && ctx.config.spotify.refreshToken) {
    process.stdout.write(
      'Note: SPOTIFY_REFRESH_TOKEN is still set; if it still works, the next run adds the account back. Remove it from .env or the environment.\n',
    );
  }
  return 0;
}
