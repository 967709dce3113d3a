import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describeLake } from '../config.js';
import { errorMessage } from '../errors.js';
import { PIPELINE_PREFIX, PROBE_PREFIX } from '../lake/layout.js';
import { openObjectStore } from '../lake/open-store.js';
import { openLakeAreaStore } from '../state/lake-area-store.js';
import type { ConnectionCheck } from './check.js';

/** Writes, reads back and deletes a probe object under `_probe/`: proves the lake is usable end to end. */
export const storageCheck: ConnectionCheck = async (config) => {
  const name = `storage (${describeLake(config.storage)})`;
  try {
    // A local lake's probe folders that did not exist are removed again: `test` leaves a fresh folder as it was.
    const created = config.storage.bucket ? [] : missingFolders(path.join(config.storage.dataDir, '_probe'));
    const store = await openObjectStore(config.storage);
    const key = `${PROBE_PREFIX}spotify-pipeline-probe-${Date.now()}-${randomBytes(4).toString('hex')}.txt`;
    const body = Buffer.from(`probe ${new Date().toISOString()}\n`);
    await store.putIfAbsent(key, body);
    try {
      const back = await store.get(key);
      if (!back.equals(body))
        return [{ name, ok: false, detail: `the probe object ${key} read back different bytes` }];
    } finally {
      await store.delete(key);
      for (const dir of created) await fs.rmdir(dir).catch(() => undefined); // not empty: someone else's
    }
    // A first run reads keys that do not exist yet (the lease): they must read as missing, which under a
    // prefix-conditioned ListBucket S3 answers 403 (src/aws/s3-missing-key.ts).
    const missing = `${PIPELINE_PREFIX}spotify-pipeline-probe-missing-${randomBytes(4).toString('hex')}.json`;
    if ((await (await openLakeAreaStore(config)).read(missing)) !== undefined)
      return [{ name, ok: false, detail: `the probe ${missing}, never written, reads as present` }];
    return [
      {
        name,
        ok: true,
        detail: `write, read back and delete of a probe object under ${PROBE_PREFIX}, and a read of a missing key under ${PIPELINE_PREFIX}, worked`,
      },
    ];
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};

/** `dir` and those of its ancestors that do not exist, deepest first. */
function missingFolders(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) out.push(d);
  return out;
}
