import { randomBytes } from 'node:crypto';
import { describeState } from '../config.js';
import { errorMessage } from '../errors.js';
import { STATE_KEYS } from '../state/layout.js';
import { openStateStore } from '../state/open-state-store.js';
import { StateConflictError } from '../state/state-store.js';
import type { ConnectionCheck } from './check.js';

/**
 * For an s3:// state (a local folder is checked by every run before work): creates a probe object, checks
 * that a second create of it is refused and that a replace with a stale version is refused (the conditional
 * writes the state's exactly-once depends on), then deletes it.
 */
export const stateCheck: ConnectionCheck = async (config) => {
  if (config.state.kind !== 's3') return [];
  const name = `state (${describeState(config.state)})`;
  try {
    const store = await openStateStore(config);
    const key = `${STATE_KEYS.probe}spotify-pipeline-probe-${Date.now()}-${randomBytes(4).toString('hex')}.txt`;
    // A key that does not exist must read as missing: every first run reads some (src/aws/s3-missing-key.ts).
    if ((await store.read(`${key}.missing`)) !== undefined)
      return [{ name, ok: false, detail: `the probe ${key}.missing, never written, reads as present` }];
    const version = await store.create(key, 'probe 1\n');
    try {
      if (version === undefined) return [{ name, ok: false, detail: `the probe ${key} existed already` }];
      if ((await store.create(key, 'probe 2\n')) !== undefined) {
        return [
          {
            name,
            ok: false,
            detail:
              'the store overwrote an existing object despite If-None-Match: it does not enforce conditional writes, which the state needs',
          },
        ];
      }
      const current = await store.replace(key, 'probe 3\n', version);
      const stale = await store.replace(key, 'probe 4\n', version).then(
        () => false,
        (err: unknown) => err instanceof StateConflictError,
      );
      if (!stale) {
        return [
          {
            name,
            ok: false,
            detail:
              'the store replaced an object whose ETag had changed despite If-Match: it does not enforce conditional writes, which the state needs',
          },
        ];
      }
      await store.delete(key, current);
    } finally {
      await store.delete(key).catch(() => {});
    }
    return [
      {
        name,
        ok: true,
        detail: `conditional create, replace and delete of a probe object under ${STATE_KEYS.probe}, and a read of a missing key, worked`,
      },
    ];
  } catch (err) {
    return [{ name, ok: false, detail: errorMessage(err) }];
  }
};
