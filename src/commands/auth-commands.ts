import type { Command } from 'commander';
import { action, addAccountOption, WRITES_STATE } from './command-runner.js';

interface LoginFlags {
  browser: boolean;
  open: boolean;
}

export function registerAuthCommands(program: Command): void {
  const auth = program
    .command('auth')
    .description('manage the connected Spotify accounts (login, status, logout)');

  auth
    .command('login')
    .description(
      'connect a Spotify account (run again to add another, up to 5 in Development Mode); PKCE without SPOTIFY_CLIENT_SECRET, the secret with it',
    )
    .option(
      '--no-browser',
      'for remote machines: print the address, then read the address the browser was sent to from stdin',
    )
    .option('--no-open', 'do not try to open a browser; print the address and wait for the redirect')
    .addHelpText(
      'after',
      '\nListens on SPOTIFY_REDIRECT_URI (default http://127.0.0.1:8888/callback; register it in your app; localhost is refused).\nGives up after SPOTIFY_LOGIN_TIMEOUT_SECONDS (default 300). Exit 0 connected, 3 refused or timed out. See docs/accounts.md.',
    )
    .action(
      action(async (ctx, flags: LoginFlags) => {
        const { runLogin } = await import('../auth/login-command.js');
        return runLogin(ctx, { mode: !flags.browser ? 'paste' : flags.open ? 'browser' : 'print' });
      }, WRITES_STATE),
    );

  addAccountOption(
    auth
      .command('status')
      .description(
        'one line per account: scopes, access token validity, refresh token age and expiry, last collection',
      )
      .option('--json', 'print the accounts as JSON'),
  ).action(
    action(async (ctx, flags: { json?: boolean; account?: string }) => {
      const { runStatus } = await import('../auth/status-command.js');
      return runStatus(ctx, flags);
    }),
  );

  addAccountOption(
    auth
      .command('logout')
      .argument('[id]', 'the user id to forget (needed when several accounts are connected)')
      .description("forget an account's tokens; its data in the lake stays"),
  ).action(
    action(async (ctx, id: string | undefined, flags: { account?: string }) => {
      const { runLogout } = await import('../auth/logout-command.js');
      return runLogout(ctx, id ?? flags.account);
    }, WRITES_STATE),
  );
}
