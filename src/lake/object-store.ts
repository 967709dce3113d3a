/** One object written to the lake by a commit, as its hooks and reports see it. */
export interface ObjectWrite {
  key: string;
  bytes: number;
  records: number;
  outcome: 'created' | 'exists';
}

/** One object listed from the lake. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified?: Date;
}

/**
 * The lake's storage: a local folder or an S3 bucket. Keys are relative, `/`-separated.
 * Writes are write-once: an existing key is never replaced.
 */
export interface ObjectStore {
  /** Where the objects go, for messages: a folder path or s3://bucket. */
  readonly location: string;
  /**
   * Writes `body` under `key` unless the key exists. Never leaves a partial object under `key`.
   * Returns 'exists' when the key was already there (callers derive keys from content, so that is a no-op).
   */
  putIfAbsent(key: string, body: Buffer): Promise<'created' | 'exists'>;
  /**
   * putIfAbsent for many objects, every one durable when it returns, where the store can do that more
   * cheaply than one by one (a local folder: one filesystem flush for the batch). Returns undefined when it
   * cannot here; the caller then writes them one by one. `beforePublish` runs when the bytes are durable
   * and before any object appears under its key (a crash-test hook).
   */
  putManyIfAbsent?(
    objects: readonly { key: string; body: Buffer }[],
    options: { beforePublish?: () => Promise<void> },
  ): Promise<('created' | 'exists')[] | undefined>;
  /**
   * Where the store keeps `key` (an object, or a `/`-ended prefix's folder) as a file on this machine. Only a
   * store over a local folder has it: readers that take files (DuckDB) then read the lake in place, and list it
   * by names, instead of fetching copies.
   */
  localPath?(key: string): string;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<StoredObject>;
}
