import { describe, expect, it } from 'vitest';
import { sharedS3Client } from '../../src/aws/s3-client.js';

// run-continuous opens its state and lake-side stores for every collection: a new S3Client each time kept its
// own pool of keep-alive sockets (the soak saw about 100 extra fds). Constructing a client makes no request.
describe('sharedS3Client', () => {
  const storage = { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9' };

  it('gives the same client for the same endpoint, region and timeout', async () => {
    const a = await sharedS3Client(storage, { requestTimeoutMs: 15_000 });
    const b = await sharedS3Client({ ...storage }, { requestTimeoutMs: 15_000 });
    expect(b).toBe(a);
  });

  it('keeps clients for other endpoints or timeouts apart', async () => {
    const a = await sharedS3Client(storage, { requestTimeoutMs: 15_000 });
    expect(
      await sharedS3Client({ ...storage, endpointUrl: 'http://127.0.0.1:10' }, { requestTimeoutMs: 15_000 }),
    ).not.toBe(a);
    expect(await sharedS3Client(storage)).not.toBe(a);
  });
});
