import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readStateJson, writeStateJson } from '../state/json-file.js';
import { STATE_KEYS } from '../state/layout.js';
import type { StateStore } from '../state/state-store.js';

const checkpointSchema = z.object({
  v: z.literal(1),
  files: z.record(
    z.string(),
    z.object({
      file: z.string(),
      rows_done: z.number().int().nonnegative(),
      complete: z.boolean(),
      /** The user the file's rows named, for its rows with an empty `username` after a resume. */
      user: z.string().optional(),
      updated_at: z.string(),
    }),
  ),
});
type CheckpointData = z.infer<typeof checkpointSchema>;
export type FileProgress = CheckpointData['files'][string];

/**
 * How far earlier imports got through each history file: rows already committed to the lake. It is written
 * only after the lake commit that holds those rows, so it never claims more than the lake has; a crash
 * between the two makes the rerun re-read those rows, and the ledger then finds them already present.
 * Files are known by content (name, size, CRC-32) plus the settings that change what is kept.
 */
export class ImportCheckpoint {
  private constructor(
    private readonly state: StateStore,
    private readonly data: CheckpointData,
  ) {}

  static readonly KEY = STATE_KEYS.importCheckpoint;

  static async open(state: StateStore): Promise<ImportCheckpoint> {
    const data = await readStateJson(state, ImportCheckpoint.KEY, (v) => checkpointSchema.parse(v));
    return new ImportCheckpoint(state, data ?? { v: 1, files: {} });
  }

  static keyOf(identity: string, settings: Record<string, string | number>): string {
    const canonical = JSON.stringify([identity, Object.entries(settings).sort()]);
    return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
  }

  get(key: string): FileProgress | undefined {
    return this.data.files[key];
  }

  async set(key: string, progress: Omit<FileProgress, 'updated_at'>): Promise<void> {
    this.data.files[key] = { ...progress, updated_at: new Date().toISOString() };
    await writeStateJson(this.state, ImportCheckpoint.KEY, this.data);
  }
}
