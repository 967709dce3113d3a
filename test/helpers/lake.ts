import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface LakeFile {
  /** Path relative to the lake root, `/`-separated. */
  key: string;
  records: Record<string, unknown>[];
}

/** Every `.json.gz` object under `root`, parsed (throws on a corrupt one: tests want to know). */
export async function readLocalLake(root: string): Promise<LakeFile[]> {
  const out: LakeFile[] = [];
  for (const key of await listAllFiles(root)) {
    if (!key.endsWith('.json.gz')) continue;
    const text = gunzipSync(await fs.readFile(path.join(root, key))).toString('utf8');
    out.push({
      key,
      records: text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    });
  }
  return out;
}

/**
 * Every file under `root`, relative (to spot temp files or partial objects). The lake's lease
 * (`_pipeline/`, outside every dataset) is left out unless asked for: it is the writers' bookkeeping, not data.
 */
export async function listAllFiles(root: string, options: { lease?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    if (!options.lease && dir === path.join(root, '_pipeline')) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/** The identity of a play as docs/exactly-once.md defines it: user_id, played_at, track_id or track_name. */
export const playIdentity = (r: Record<string, unknown>) =>
  `${String(r.user_id)}|${String(r.played_at)}|${String(r.track_id ?? r.track_name)}`;

/** The play identities in the lake. */
export function playIdentities(files: LakeFile[]): string[] {
  return files.flatMap((f) => f.records.map(playIdentity));
}

/** Every file under a lake dataset folder (absolute paths, the lease left out), and every record in its objects. */
export async function readDataset(
  root: string,
): Promise<{ files: string[]; records: Record<string, unknown>[] }> {
  const files = (await listAllFiles(root)).map((key) => path.join(root, key));
  const records = (await readLocalLake(root)).flatMap((f) => f.records);
  return { files, records };
}
