import type { CommandContext } from '../commands/command-runner.js';
import { DEVELOPMENT_MODE_USER_LIMIT, login, type LoginOptions } from './login.js';

/** `auth login`: wiring between the command line and the login flow. */
export async function runLogin(
  ctx: CommandContext,
  options: { mode: LoginOptions['mode'] },
): Promise<number> {
  const result = await login(ctx.config, ctx.log, {
    mode: options.mode,
    out: process.stdout,
    input: process.stdin,
  });
  const { account } = result;
  const who = account.display_name ? `${account.user_id} (${account.display_name})` : account.user_id;
  const how =
    result.flow === 'pkce' ? 'Authorization Code with PKCE' : 'Authorization Code with client secret';
  process.stdout.write(
    `\n${result.added ? 'Connected' : 'Renewed'} Spotify account ${who} (${how}). ${result.accountCount} account${result.accountCount === 1 ? '' : 's'} connected.\n` +
      `The refresh token expires 6 months from now: run \`spotify-pipeline auth login\` again before then.\n`,
  );
  if (result.accountCount > DEVELOPMENT_MODE_USER_LIMIT) {
    process.stdout.write(
      `Note: a Spotify app in Development Mode allows ${DEVELOPMENT_MODE_USER_LIMIT} users; with more, Spotify answers 403 for the others unless the app has Extended Quota.\n`,
    );
  }
  return 0;
}
