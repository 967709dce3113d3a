import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { tempDir } from './cli.js';

/** s3rver on 127.0.0.1 with the given buckets; its files live in a fresh temp folder. */
export async function startS3rver(
  buckets: string[],
): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const directory = await tempDir('s3rver-');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
    },
  };
}

/** Environment for the CLI and the SDK to reach s3rver (it accepts any credentials). */
export function s3Env(endpoint: string, bucket: string): Record<string, string> {
  return {
    S3_BUCKET_NAME: bucket,
    S3_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
}
