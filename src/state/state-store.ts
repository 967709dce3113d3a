/**
 * Where the pipeline's state lives: a local folder (STATE_DIR) or an object store prefix (STATE_URL=s3://…).
 * Everything under state/ (tokens, ledgers, outboxes, checkpoints, run history) goes through this seam, so a
 * container with no disk keeps exactly-once. Keys are relative and `/`-separated, e.g.
 * `users/<id>/ledger/2024-01.json`; the local store maps them onto files byte for byte (existing STATE_DIRs
 * keep working).
 *
 * Versions are opaque: an ETag on S3, a stat signature locally. Conditional writes are the correctness
 * mechanism: a write that finds someone else's version throws StateConflictError, and the caller re-reads and
 * redoes, never overwrites.
 */
export interface StateStore {
  /** For messages: a folder path or s3://bucket/prefix/. */
  readonly location: string;
  readonly kind: 'local' | 's3';
  /** The object and its version; undefined when there is none. */
  read(key: string): Promise<StateObject | undefined>;
  /** Creates `key` unless it exists: its new version, or undefined when the key was already there. */
  create(key: string, body: Buffer | string): Promise<string | undefined>;
  /** Replaces `key` only if it still has `ifVersion`: the new version; StateConflictError otherwise. */
  replace(key: string, body: Buffer | string, ifVersion: string): Promise<string>;
  /**
   * Writes `key` whether or not it exists. Only for state that one writer owns under the lease and that
   * holds nothing a concurrent writer could add to (its own outbox entries, run-history entries).
   */
  put(key: string, body: Buffer | string): Promise<string>;
  /**
   * Several puts made durable together where the store can do that more cheaply (a local folder: one pair of
   * filesystem flushes for the batch instead of two fsyncs per file). Each key is old or new after a crash.
   */
  putMany(entries: readonly { key: string; body: Buffer | string }[]): Promise<void>;
  /** Keys under `prefix` (relative to the store, sorted). Hidden names (a leading dot: temp files) are left out. */
  list(prefix: string): Promise<string[]>;
  /** Deletes `key` (no error when it is gone); with `ifVersion`, only if it is unchanged. */
  delete(key: string, ifVersion?: string): Promise<void>;
  /**
   * Appends text to a log where the store can (a local file, O_APPEND). An object store cannot append: logs
   * then go through StateLog's segments.
   */
  append?(key: string, text: string): Promise<void>;
}

export interface StateObject {
  body: Buffer;
  version: string;
}

/** Someone else wrote the key since it was read (S3: 412 PreconditionFailed or 409 ConditionalRequestConflict). */
export class StateConflictError extends Error {
  constructor(
    readonly key: string,
    message = `the state object ${key} was changed by another writer`,
  ) {
    super(message);
    this.name = 'StateConflictError';
  }
}

export { userStateKey } from './layout.js';
