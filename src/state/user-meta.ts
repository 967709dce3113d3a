import path from 'node:path';
import { z } from 'zod';
import { readStateFile, writeStateFile } from './json-file.js';
import { userStateDir } from './paths.js';

const userMetaSchema = z.looseObject({
  user_id: z.string(),
  /** The newest played_at the API collector has written: the overlap check of the next poll starts here. */
  api_newest_played_at: z.string().optional(),
  /** When a collection of this account last succeeded. */
  last_success_at: z.string().optional(),
});
export type UserMeta = z.infer<typeof userMetaSchema>;

const metaFile = (stateDir: string, userId: string) => path.join(userStateDir(stateDir, userId), 'meta.json');

export async function readUserMeta(stateDir: string, userId: string): Promise<UserMeta> {
  return (
    (await readStateFile(metaFile(stateDir, userId), (v) => userMetaSchema.parse(v))) ?? { user_id: userId }
  );
}

export async function writeUserMeta(stateDir: string, userId: string, meta: UserMeta): Promise<void> {
  await writeStateFile(metaFile(stateDir, userId), meta);
}
