/**
 * The exactly-once commit protocol (docs/architecture.md): the writer session and the lake's lease, the
 * ledger of plays, the outbox and its committer, and reconciliation on replay. Everything outside this
 * folder goes through this surface; `state/` and `lake/` below it are storage only.
 */
export type { ObjectWrite } from '../lake/object-store.js';
export { LakeCommitter } from './committer.js';
export { commitTogether, writeTogether, type WrittenTransactions } from './commit-together.js';
export type { CommitResult, LakeTransaction } from './transaction.js';
export { configuredObjectHooks } from './configured-object-hooks.js';
export { LeaseHeldError, NoLease } from './lease.js';
export { PlayLedger, type PlayKey } from './ledger.js';
export { migrateState } from './migrate-state.js';
export { MAX_PLAYER_POLL_MS, PlaySet, samePlay } from './play-set.js';
export { readUserMeta, writeUserMeta, type UserMeta } from './user-meta.js';
export { openWriterSession, sessionCommitter, type WriterSession } from './writer-session.js';
