import type { Config } from '../config.js';
import { STATE_REQUEST_TIMEOUT_MS } from '../aws/s3-client.js';
import { LocalStateStore } from './local-state-store.js';
import type { StateStore } from './state-store.js';

/** The configured state store: S3 when STATE_URL is s3:// (SDK loaded only then), else the local folder. */
export async function openStateStore(config: Pick<Config, 'state' | 'storage'>): Promise<StateStore> {
  const state = config.state;
  if (state.kind === 'local') return new LocalStateStore(state.dir);
  const [{ sharedS3Client }, { S3StateStore }] = await Promise.all([
    import('../aws/s3-client.js'),
    import('./s3-state-store.js'),
  ]);
  const client = await sharedS3Client(config.storage, { requestTimeoutMs: STATE_REQUEST_TIMEOUT_MS });
  return new S3StateStore(client, state.bucket, state.prefix);
}
