import { describe, expect, it } from 'vitest';

/**
 * `npm test` must not print the AWS SDK's NodeVersionSupportWarning (its releases from 2027 need Node 22; the
 * lock pins one that supports Node 20, see the README). The CLI silences it in createS3Client; tests that build
 * SDK clients themselves rely on vitest.config.ts setting the same variable for every test worker.
 */
describe('AWS SDK clients in tests', () => {
  it('are created without the NodeVersionSupportWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { S3Client } = await import('@aws-sdk/client-s3');
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
      const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
      s3.destroy();
      sm.destroy();
      // process.emitWarning delivers on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.includes('NodeVersionSupportWarning'))).toEqual([]);
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  });
});
