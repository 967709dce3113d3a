import type { CommandContext } from '../commands/command-runner.js';
import { ConfigError } from '../errors.js';
import { noAccountMessage } from '../spotify/accounts.js';
import { tokenStore } from '../spotify/open-token-store.js';
import { openStateStore } from '../state/open-state-store.js';
import { readUserMeta } from '../commit/index.js';
import { accountStatus, formatAccountStatus, type AccountStatus } from './account-status.js';

/** `auth status`: exit 0 when every shown account can still collect, 3 when none is connected or one expired. */
export async function runStatus(
  ctx: CommandContext,
  flags: { json?: boolean; account?: string },
): Promise<number> {
  const store = await tokenStore(ctx.config);
  let accounts = await store.list();
  if (flags.account !== undefined) {
    const known = accounts.map((a) => a.user_id);
    accounts = accounts.filter((a) => a.user_id === flags.account);
    if (accounts.length === 0) {
      throw new ConfigError(
        `--account ${flags.account}: no such account is connected (connected: ${known.join(', ') || 'none'}).`,
      );
    }
  }
  const now = new Date();
  const rows: AccountStatus[] = [];
  const state = accounts.length ? await openStateStore(ctx.config) : undefined;
  for (const account of accounts) {
    const meta = await readUserMeta(state!, account.user_id);
    rows.push(accountStatus(account, meta.last_success_at ?? null, now));
  }
  const code = rows.length === 0 || rows.some((r) => r.state === 'expired' || r.state === 'refused') ? 3 : 0;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ accounts: rows, token_store: store.location })}\n`);
  } else if (rows.length === 0) {
    process.stdout.write(`${noAccountMessage(ctx.config, store)}\n`);
  } else {
    process.stdout.write(`${rows.map((row) => formatAccountStatus(row, store.location)).join('\n\n')}\n`);
  }
  return code;
}
