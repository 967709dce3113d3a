import type { Config } from '../config.js';
import { STATE_REQUEST_TIMEOUT_MS } from '../aws/s3-client.js';
import { DATA_DIR_SETTING } from '../fs/folders.js';
import { LocalStateStore } from './local-state-store.js';
import type { StateStore } from './state-store.js';

/**
 * The pipeline's own objects that live with the lake, not with the state: the one-writer lease
 * (`_pipeline/lease.json`) and the lake's custom-field schema (`_pipeline/schema.json`). DATA_DIR, or the
 * bucket root (outside every dataset prefix, so Snowpipe and the warehouse never read them).
 */
export async function openLakeAreaStore(config: Pick<Config, 'storage'>): Promise<StateStore> {
  if (!config.storage.bucket) {
    return new LocalStateStore(config.storage.dataDir, DATA_DIR_SETTING);
  }
  const [{ sharedS3Client }, { S3StateStore }] = await Promise.all([
    import('../aws/s3-client.js'),
    import('./s3-state-store.js'),
  ]);
  return new S3StateStore(
    await sharedS3Client(config.storage, { requestTimeoutMs: STATE_REQUEST_TIMEOUT_MS }),
    config.storage.bucket,
    '',
    'S3',
  );
}
