import { randomBytes } from 'node:crypto';
import { describeLake } from '../config.js';
import { errorMessage } from '../errors.js';
import { openObjectStore } from '../lake/open-store.js';
import type { ConnectionCheck } from './check.js';

/** Writes, reads back and deletes a probe object under `_probe/`: proves the lake is usable end to end. */
export const storageCheck: ConnectionCheck = async (config) => {
  const name = `storage (${describeLake(config.storage)})`;
  try {
    const store = await openObjectStore(config.storage);
    const key = `_probe/spotify-pipeline-probe-${Date.now()}-${randomBytes(4).toString('hex')}.txt`;
    const body = Buffer.from(`probe ${new Date().toISOString()}\n`);
    await store.putIfAbsent(key, body);
    try {
      const back = await store.get(key);
      if (!back.equals(body))
        return [{ name, ok: false, detail: `the probe object ${key} read back different bytes` }];
    } finally {
      await store.delete(key);
    }
    return [{ name, ok: true, detail: 'write, read back and delete of a probe object under _probe/ worked' }];
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};
