import { z } from 'zod';
import { readStateJson, writeStateJson } from '../state/json-file.js';
import { userMetaKey } from '../state/layout.js';
import type { StateStore } from '../state/state-store.js';

const userMetaSchema = z.looseObject({
  user_id: z.string(),
  /** The newest played_at the API collector has written: the overlap check of the next poll starts here. */
  api_newest_played_at: z.string().optional(),
  /** When a collection of this account last succeeded. */
  last_success_at: z.string().optional(),
});
export type UserMeta = z.infer<typeof userMetaSchema>;

const metaKey = userMetaKey;

export async function readUserMeta(state: StateStore, userId: string): Promise<UserMeta> {
  return (await readStateJson(state, metaKey(userId), (v) => userMetaSchema.parse(v))) ?? { user_id: userId };
}

export async function writeUserMeta(state: StateStore, userId: string, meta: UserMeta): Promise<void> {
  await writeStateJson(state, metaKey(userId), meta);
}
