import { promises as fs } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import { createS3Client } from '../../src/aws/s3-client.js';
import { s3LakeRecords } from '../collect/s3-lake.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { leaseExpiry, startStoppedAt } from '../helpers/freeze.js';
import { readLocalLake } from '../helpers/lake.js';
import { s3Env } from '../helpers/s3rver.js';

/**
 * An import frozen (SIGSTOP) at a step of the commit protocol past its lease, while a second import of the
 * same export takes the lease over and commits; then resumed, and each state runs once more. The lake ends up
 * holding exactly the plays a clean import writes, each once. With state and lake in S3 both imports share the
 * state; with a folder state (and a folder lake) the second is another folder (the first one's PID lock holds
 * while it is frozen). Each scenario has a lake of its own (a bucket, or a folder), so they run at once.
 */
const STEPS = ['after-outbox', 'after-announce', 'after-object', 'after-ledger'];

let s3: ConditionalS3;
let client: S3Client;
let exportDir: string;
let reference: Set<string>;
beforeAll(async () => {
  s3 = await startConditionalS3(['reference', 'state', ...STEPS.map((s) => `lake-${s}`)]);
  client = await createS3Client({ endpointUrl: s3.endpoint, region: 'us-east-1' });
  exportDir = path.join(await tempDir('frozen-import-'), 'export');
  await generateExport(exportDir, { plays: 400, seed: 11, rowsPerFile: 200, accountDataDays: 5 });
  const clean = await runCli(['import', exportDir, '--user', 'demo-user', '--json'], {
    cwd: await tempDir('import-'),
    env: { ...s3Env(s3.endpoint, 'reference'), STATE_URL: 's3://state/reference/' },
  });
  expect(clean.code, clean.stderr).toBe(0);
  reference = new Set((await s3LakeRecords(client, 'reference', '')).map(identity));
  expect(reference.size).toBeGreaterThan(300);
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

const identity = (r: Record<string, unknown>) =>
  `${String(r.user_id)}|${String(r.played_at)}|${String(r.track_id ?? r.track_name)}`;

type Kind = 'folder' | 's3';

async function scenario(kind: Kind, step: string) {
  const cwd = await tempDir('frozen-import-');
  const bucket = `lake-${step}`;
  const env: Record<string, string> = {
    LEASE_TTL_SECONDS: '10',
    ...(kind === 's3' ? { ...s3Env(s3.endpoint, bucket), STATE_URL: `s3://state/${step}/` } : {}),
  };
  const other: Record<string, string> = kind === 'folder' ? { STATE_DIR: path.join(cwd, 'other-state') } : {};
  const args = ['import', exportDir, '--user', 'demo-user', '--json'];
  const importWith = (extra: Record<string, string>) => runCli(args, { cwd, env: { ...env, ...extra } });
  const readLease = async () =>
    kind === 's3'
      ? await (
          await client.send(new GetObjectCommand({ Bucket: bucket, Key: '_pipeline/lease.json' }))
        ).Body!.transformToString()
      : fs.readFile(path.join(cwd, 'data', '_pipeline', 'lease.json'), 'utf8');

  const a = await startStoppedAt(args, step, { cwd, env });
  let b: Awaited<ReturnType<typeof importWith>>;
  try {
    await leaseExpiry(readLease);
    b = await importWith(other);
  } finally {
    a.child.kill('SIGCONT');
  }
  await a.done;
  if (kind === 'folder' && STEPS.indexOf(step) >= STEPS.indexOf('after-announce')) {
    // A's objects may still land, and only A's state can finish them: B publishes nothing and says why.
    expect(b.code).toBe(1);
    expect(b.stdout + b.stderr).toMatch(/in flight from another state/);
  } else {
    expect(b.code, b.stderr).toBe(0);
  }
  // Each state imports once more: whatever is queued is finished, nothing twice.
  for (const extra of kind === 'folder' ? [{}, other] : [{}]) {
    const again = await importWith(extra);
    expect(again.code, again.stderr).toBe(0);
  }

  const records =
    kind === 's3'
      ? await s3LakeRecords(client, bucket, '')
      : (await readLocalLake(path.join(cwd, 'data'))).flatMap((f) => f.records);
  const ids = records.map(identity);
  expect(new Set(ids)).toEqual(reference);
  expect(ids).toHaveLength(reference.size);
}

describe.concurrent('an import frozen past its lease, state and lake in S3', () => {
  it.each(STEPS)(
    'frozen %s: the lake holds every play of the export once',
    (step) => scenario('s3', step),
    180_000,
  );
});
describe.concurrent('an import frozen past its lease, state and lake in folders', () => {
  it.each(STEPS)(
    'frozen %s: the lake holds every play of the export once',
    (step) => scenario('folder', step),
    180_000,
  );
});
