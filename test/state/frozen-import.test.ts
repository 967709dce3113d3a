import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { createS3Client } from '../../src/aws/s3-client.js';
import { s3LakeRecords } from '../collector/s3-lake.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { leaseExpiry, startStoppedAt } from '../helpers/freeze.js';
import { s3Env } from '../helpers/s3rver.js';

/**
 * An import frozen (SIGSTOP) at a step of the commit protocol past its lease, while a second import of the
 * same export on the same S3 state takes the lease over and commits; then resumed. The lake ends up holding
 * exactly the plays a clean import writes, each once.
 */
let s3: ConditionalS3;
let client: S3Client;
let exportDir: string;
let reference: Set<string>;
beforeAll(async () => {
  s3 = await startConditionalS3(['lake', 'state']);
  client = await createS3Client({ endpointUrl: s3.endpoint, region: 'us-east-1' });
  exportDir = path.join(await tempDir('frozen-import-'), 'export');
  await generateExport(exportDir, { plays: 400, seed: 11, rowsPerFile: 200, accountDataDays: 5 });
  const clean = await importInto('reference');
  expect(clean.code, clean.stderr).toBe(0);
  reference = new Set((await s3LakeRecords(client, 'lake', 'reference/')).map(identity));
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

const identity = (r: Record<string, unknown>) =>
  `${String(r.user_id)}|${String(r.played_at)}|${String(r.track_id ?? r.track_name)}`;

function envFor(name: string): Record<string, string> {
  return {
    ...s3Env(s3.endpoint, 'lake'),
    SNOWFLAKE_STAGE_PREFIX: `${name}/`,
    STATE_URL: `s3://state/${name}/`,
    LEASE_TTL_SECONDS: '10',
  };
}
async function importInto(name: string) {
  const cwd = await tempDir('import-');
  return runCli(['import', exportDir, '--user', 'demo-user', '--json'], { cwd, env: envFor(name) });
}

describe('an import frozen past its lease, state and lake in S3', () => {
  it.each(['after-outbox', 'after-announce', 'after-object', 'after-ledger'])(
    'frozen %s: the lake holds every play of the export once',
    async (step) => {
      const cwd = await tempDir('import-');
      const args = ['import', exportDir, '--user', 'demo-user', '--json'];
      const a = await startStoppedAt(args, step, { cwd, env: envFor(step) });
      try {
        await leaseExpiry(async () =>
          (
            await client.send(new GetObjectCommand({ Bucket: 'lake', Key: '_pipeline/lease.json' }))
          ).Body!.transformToString(),
        );
        const b = await importInto(step);
        expect(b.code, b.stderr).toBe(0);
      } finally {
        a.child.kill('SIGCONT');
      }
      await a.done;
      const c = await importInto(step);
      expect(c.code, c.stderr).toBe(0);
      const ids = (await s3LakeRecords(client, 'lake', `${step}/`)).map(identity);
      expect(new Set(ids)).toEqual(reference);
      expect(ids).toHaveLength(reference.size);
    },
    180_000,
  );
});
