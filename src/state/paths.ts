import path from 'node:path';

/** Where everything of one account lives inside STATE_DIR. */
export function userStateDir(stateDir: string, userId: string): string {
  return path.join(stateDir, 'users', encodeURIComponent(userId));
}
