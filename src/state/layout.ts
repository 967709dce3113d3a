/**
 * Every key of the pipeline's state (STATE_DIR, or STATE_URL's prefix), in one place: what lives where, and
 * what `state migrate` must carry over. Keys are relative and `/`-separated; the local store maps them onto
 * files byte for byte.
 */
import { stateSuffixOf } from '../record/datasets.js';

export const STATE_KEYS = {
  /** The state's identity and coverage epoch (src/commit/state-identity.ts). */
  identity: 'state.json',
  /** One line per run (src/runs/run-history.ts). */
  runHistory: 'history/runs.jsonl',
  /** Which export files an import has finished (src/import/import-checkpoint.ts). */
  importCheckpoint: 'import/checkpoint.json',
  /** Track metadata an import looked up (src/import/track-enricher.ts). */
  trackMetadata: 'import/track-metadata.jsonl',
  /** Objects Snowpipe has not been told about yet (src/snowflake/snowpipe-notifier.ts). */
  snowpipePending: 'snowflake/snowpipe-pending.json',
  /** Folder of the connected accounts' tokens (src/spotify/token-store.ts). */
  accounts: 'accounts/',
  /** Short-lived probe objects of `test` (src/checks/state-check.ts): never migrated. */
  probe: '_probe/',
} as const;

/** One account's tokens: `accounts/<url-encoded id>.json`. */
export const accountKey = (userId: string): string =>
  `${STATE_KEYS.accounts}${encodeURIComponent(userId)}.json`;

/** The logs (append-only) of the state: `state migrate` copies them line by line. */
export const STATE_LOGS: readonly string[] = [STATE_KEYS.runHistory, STATE_KEYS.trackMetadata];

/** The key of one account's folder in the state: `users/<url-encoded id>/`. */
export function userStateKey(userId: string, rest: string): string {
  return `users/${encodeURIComponent(userId)}/${rest}`;
}

/** One account's bookkeeping (src/commit/user-meta.ts). */
export const userMetaKey = (userId: string): string => userStateKey(userId, 'meta.json');

/** One account's ledger of a dataset: a file per UTC month under it (src/commit/ledger.ts). */
export const ledgerPrefix = (userId: string, dataset: string): string =>
  userStateKey(userId, `ledger${stateSuffixOf(dataset)}/`);

/** One account's outbox of a dataset (src/commit/committer.ts). */
export const outboxPrefix = (userId: string, dataset: string): string =>
  userStateKey(userId, `outbox${stateSuffixOf(dataset)}/`);
