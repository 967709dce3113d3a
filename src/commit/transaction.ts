import type { PreparedObject } from '../lake/build-objects.js';
import type { ObjectStore, ObjectWrite } from '../lake/object-store.js';
import type { OutboxEntry } from './outbox-format.js';
import type { PlayKey } from './play-set.js';
import type { UserMeta } from './user-meta.js';

/** What a commit writes: objects, the plays they hold, and account bookkeeping to store with them. */
export interface LakeTransaction {
  objects: PreparedObject[];
  plays: PlayKey[];
  meta?: Partial<UserMeta>;
}

export interface CommitResult {
  writes: ObjectWrite[];
}

/**
 * What the shared steps (commit-together.ts) ask of each transaction's committer: LakeCommitter, whose
 * protocol comment gives the order of the steps.
 */
export interface TransactionSteps {
  readonly store: ObjectStore;
  readonly writeConcurrency: number;
  writeOutbox(tx: LakeTransaction): Promise<string>;
  announce(ids: readonly string[]): Promise<void>;
  written(write: ObjectWrite): Promise<void>;
  recordPlays(entry: Pick<OutboxEntry, 'plays'>): Promise<void>;
  finish(file: string, entry: Pick<OutboxEntry, 'meta'>): Promise<void>;
}
