import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { createS3Client } from '../../src/aws/s3-client.js';
import { LocalStateStore } from '../../src/state/local-state-store.js';
import { S3StateStore } from '../../src/state/s3-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { tempDir } from './cli.js';

process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

/**
 * A StateStore of each kind for a test file, each call a fresh one: a temporary folder, and a prefix of its own
 * in `bucket` on the conditional-write S3 double (started for the file, stopped after it).
 */
export function stateStoresOfEachKind(
  bucket: string,
  names: { folder: string; s3: string },
  tag: string,
): { stores: [string, () => Promise<StateStore>][]; double: () => { s3: ConditionalS3; client: S3Client } } {
  let s3: ConditionalS3 | undefined;
  let client: S3Client | undefined;
  beforeAll(async () => {
    s3 = await startConditionalS3([bucket]);
    client = await createS3Client(
      { endpointUrl: s3.endpoint, region: 'us-east-1' },
      { requestTimeoutMs: 3000 },
    );
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });
  let n = 0;
  return {
    stores: [
      [names.folder, async () => new LocalStateStore(await tempDir(`${tag}-`))],
      [names.s3, async () => new S3StateStore(client!, bucket, `${tag}-${++n}/`)],
    ],
    double: () => ({ s3: s3!, client: client! }),
  };
}
