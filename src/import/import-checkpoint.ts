import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { readStateFile, writeStateFile } from '../state/json-file.js';

const checkpointSchema = z.object({
  v: z.literal(1),
  files: z.record(
    z.string(),
    z.object({
      file: z.string(),
      rows_done: z.number().int().nonnegative(),
      complete: z.boolean(),
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
    private readonly file: string,
    private readonly data: CheckpointData,
  ) {}

  static async open(stateDir: string): Promise<ImportCheckpoint> {
    const file = path.join(stateDir, 'import', 'checkpoint.json');
    const data = await readStateFile(file, (v) => checkpointSchema.parse(v));
    return new ImportCheckpoint(file, data ?? { v: 1, files: {} });
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
    await writeStateFile(this.file, this.data);
  }
}
