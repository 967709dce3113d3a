import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIamPolicy, type IamPolicyInput, type PolicyDocument } from '../../src/aws/iam-policy.js';
import { partitionOfRegion } from '../../src/aws/partition.js';
import { lakeDatasetPrefixes } from '../../src/lake/layout.js';
import { generateExport } from '../../src/demo/generate-export.js';
import { collectorFixture } from '../collect/fixture.js';
import { startConditionalS3, type ConditionalS3 } from '../fakes/conditional-s3.js';
import { makePlays } from '../fakes/spotify-server.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { isAllowed, s3Request } from './iam-eval.js';
import { s3Env } from '../helpers/s3rver.js';

const DATASETS = lakeDatasetPrefixes('spotify_listening_history/');
const base: IamPolicyInput = {
  bucket: 'lake',
  datasetPrefixes: DATASETS,
  state: { kind: 'local', dir: '/state' },
  partition: 'aws',
};

/** Every (action, resource[, prefixes]) the policy grants, flattened for comparison. */
function grants(policy: PolicyDocument): string[] {
  return policy.Statement.flatMap((s) =>
    s.Action.flatMap((a) =>
      s.Resource.map(
        (r) => `${a} ${r}${s.Condition ? ` prefix=${s.Condition.StringLike['s3:prefix'].join(',')}` : ''}`,
      ),
    ),
  ).sort();
}

const LAKE_GRANTS = [
  's3:DeleteObject arn:aws:s3:::lake/_probe/*',
  's3:GetObject arn:aws:s3:::lake/_pipeline/*',
  's3:GetObject arn:aws:s3:::lake/_probe/*',
  's3:GetObject arn:aws:s3:::lake/spotify_episode_history/*',
  's3:GetObject arn:aws:s3:::lake/spotify_listening_history/*',
  's3:PutObject arn:aws:s3:::lake/_pipeline/*',
  's3:PutObject arn:aws:s3:::lake/_probe/*',
  's3:PutObject arn:aws:s3:::lake/spotify_episode_history/*',
  's3:PutObject arn:aws:s3:::lake/spotify_listening_history/*',
];

describe('buildIamPolicy (pure, table-driven)', () => {
  const cases: { name: string; input: IamPolicyInput; expected: string[] }[] = [
    {
      name: 'S3 lake, local state',
      input: base,
      expected: [
        ...LAKE_GRANTS,
        's3:ListBucket arn:aws:s3:::lake prefix=spotify_listening_history/*,spotify_episode_history/*,_pipeline/*',
      ],
    },
    {
      name: 'state in the lake bucket under its own prefix',
      input: { ...base, state: { kind: 's3', bucket: 'lake', prefix: '_pipeline_state/' } },
      expected: [
        ...LAKE_GRANTS,
        's3:DeleteObject arn:aws:s3:::lake/_pipeline_state/*',
        's3:GetObject arn:aws:s3:::lake/_pipeline_state/*',
        's3:ListBucket arn:aws:s3:::lake prefix=spotify_listening_history/*,spotify_episode_history/*,_pipeline/*,_pipeline_state/*',
        's3:PutObject arn:aws:s3:::lake/_pipeline_state/*',
      ],
    },
    {
      name: 'state in another bucket',
      input: { ...base, state: { kind: 's3', bucket: 'ops-state', prefix: 'spotify/' } },
      expected: [
        ...LAKE_GRANTS,
        's3:DeleteObject arn:aws:s3:::ops-state/spotify/*',
        's3:GetObject arn:aws:s3:::ops-state/spotify/*',
        's3:ListBucket arn:aws:s3:::lake prefix=spotify_listening_history/*,spotify_episode_history/*,_pipeline/*',
        's3:ListBucket arn:aws:s3:::ops-state prefix=spotify/*',
        's3:PutObject arn:aws:s3:::ops-state/spotify/*',
      ],
    },
    {
      name: 'local lake, S3 state, secret by name with region and account',
      input: {
        ...base,
        bucket: undefined,
        state: { kind: 's3', bucket: 'ops-state', prefix: 'p/' },
        secretId: 'spotify/tokens',
        region: 'eu-west-1',
        accountId: '123456789012',
      },
      expected: [
        's3:DeleteObject arn:aws:s3:::ops-state/p/*',
        's3:GetObject arn:aws:s3:::ops-state/p/*',
        's3:ListBucket arn:aws:s3:::ops-state prefix=p/*',
        's3:PutObject arn:aws:s3:::ops-state/p/*',
        ...['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage'].map(
          (a) =>
            `secretsmanager:${a} arn:aws:secretsmanager:eu-west-1:123456789012:secret:spotify/tokens-??????`,
        ),
      ],
    },
    {
      name: 'secret by ARN (kept as given), lifecycle and Snowflake setup, China partition',
      input: {
        ...base,
        partition: 'aws-cn',
        secretId: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:tok-AbCdEf',
        lifecycle: true,
        snowflakeSetup: true,
      },
      expected: [
        ...LAKE_GRANTS.map((g) => g.replace('arn:aws:', 'arn:aws-cn:')),
        's3:GetBucketNotification arn:aws-cn:s3:::lake',
        's3:GetLifecycleConfiguration arn:aws-cn:s3:::lake',
        's3:ListBucket arn:aws-cn:s3:::lake prefix=spotify_listening_history/*,spotify_episode_history/*,_pipeline/*',
        's3:PutBucketNotification arn:aws-cn:s3:::lake',
        's3:PutLifecycleConfiguration arn:aws-cn:s3:::lake',
        ...['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage'].map(
          (a) => `secretsmanager:${a} arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:tok-AbCdEf`,
        ),
      ],
    },
  ];
  for (const { name, input, expected } of cases) {
    it(name, () => {
      const { policy } = buildIamPolicy(input);
      expect(grants(policy)).toEqual([...expected].sort());
      expect(policy.Version).toBe('2012-10-17');
      expect(new Set(policy.Statement.map((s) => s.Sid)).size).toBe(policy.Statement.length);
    });
  }

  it('never grants DeleteObject on lake data, and no wildcard actions', () => {
    for (const { input } of cases) {
      const { policy } = buildIamPolicy(input);
      for (const s of policy.Statement) {
        expect(s.Action.every((a) => !a.includes('*'))).toBe(true);
        if (s.Action.includes('s3:DeleteObject'))
          expect(s.Resource.some((r) => /spotify_(listening|episode)_history/.test(r))).toBe(false);
      }
    }
  });

  it('a secret name without region or account leaves explained placeholders', () => {
    const result = buildIamPolicy({ ...base, secretId: 'tok' });
    const secret = result.policy.Statement.find((s) => s.Sid === 'SpotifyTokenSecret')!;
    expect(secret.Resource).toEqual(['arn:aws:secretsmanager:<region>:<account-id>:secret:tok-??????']);
    expect(result.placeholders.map((p) => p.name)).toEqual(['<region>', '<account-id>']);
    expect(result.placeholders[1]!.meaning).toMatch(/--account-id/);
  });

  it('warns when the state has no prefix or overlaps the lake', () => {
    const bare = buildIamPolicy({ ...base, state: { kind: 's3', bucket: 'lake', prefix: '' } });
    expect(bare.notes.join('\n')).toMatch(/warning: STATE_URL has no prefix.*the lake included/);
    const inside = buildIamPolicy({
      ...base,
      state: { kind: 's3', bucket: 'lake', prefix: 'spotify_listening_history/state/' },
    });
    expect(inside.notes.join('\n')).toMatch(/warning: the state prefix .* overlaps a lake prefix/);
    const clean = buildIamPolicy({
      ...base,
      state: { kind: 's3', bucket: 'lake', prefix: '_pipeline_state/' },
    });
    expect(clean.notes.join('\n')).not.toMatch(/warning/);
  });

  it('the partition follows the region unless set (the SDK partitions table)', () => {
    expect(partitionOfRegion('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOfRegion('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOfRegion('eusc-de-east-1')).toBe('aws-eusc');
    expect(partitionOfRegion('us-iso-east-1')).toBe('aws-iso');
    expect(partitionOfRegion('us-isob-east-1')).toBe('aws-iso-b');
    expect(partitionOfRegion('eu-central-1')).toBe('aws');
    expect(partitionOfRegion(undefined)).toBe('aws');
  });

  it('a partial secret ARN gets -?????? (as given it matches no real ARN); a complete one is kept', () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:spotify/tokens';
    const secret = (secretId: string) =>
      buildIamPolicy({ ...base, secretId }).policy.Statement.find((s) => s.Sid === 'SpotifyTokenSecret')!;
    expect(secret(partial).Resource).toEqual([`${partial}-??????`]);
    expect(secret(`${partial}-AbC123`).Resource).toEqual([`${partial}-AbC123`]);
    // What IAM then matches: the real ARN, and not another secret named "spotify/tokens-old".
    const policy = buildIamPolicy({ ...base, secretId: partial }).policy;
    const get = (arn: string) =>
      isAllowed(policy, { action: 'secretsmanager:GetSecretValue', resource: arn });
    expect(get(`${partial}-Xy12Zw`)).toBe(true);
    expect(get(`${partial}-old-Xy12Zw`)).toBe(false);
    expect(buildIamPolicy({ ...base, secretId: partial }).notes.join('\n')).toMatch(/partial ARN/);
  });

  it('warns when the secret is in another partition than the S3 resources', () => {
    const notes = buildIamPolicy({
      ...base,
      partition: 'aws-cn',
      secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbC123',
    }).notes.join('\n');
    expect(notes).toMatch(/warning: SPOTIFY_TOKEN_SECRET_ID is in partition aws, the S3 resources in aws-cn/);
    expect(
      buildIamPolicy({ ...base, secretId: 'arn:aws:secretsmanager:r:1:secret:t-AbC123' }).notes.join('\n'),
    ).not.toMatch(/warning/);
  });

  it('the evaluator used below denies what a policy does not grant', () => {
    const { policy } = buildIamPolicy(base);
    const ok = { kind: 'GET', bucket: 'lake', key: 'spotify_listening_history/2024/01/01/x.json.gz' };
    expect(isAllowed(policy, s3Request(ok)!)).toBe(true);
    expect(isAllowed(policy, s3Request({ ...ok, kind: 'DELETE' })!)).toBe(false);
    expect(isAllowed(policy, s3Request({ ...ok, bucket: 'other' })!)).toBe(false);
    expect(isAllowed(policy, s3Request({ kind: 'LIST', bucket: 'lake', key: '' })!)).toBe(false);
    expect(
      isAllowed(policy, s3Request({ kind: 'LIST', bucket: 'lake', key: 'spotify_listening_history/2024/' })!),
    ).toBe(true);
  });
});

describe('the policy is enough: real runs pass with the S3 double enforcing it', () => {
  let s3: ConditionalS3;
  beforeAll(async () => {
    s3 = await startConditionalS3(['lake', 'ops-state']);
  });
  afterAll(async () => {
    await s3?.close();
  });

  for (const stateUrl of ['s3://ops-state/spotify/', 's3://lake/_pipeline_state/']) {
    it(`run-once, import, test and stats with STATE_URL=${stateUrl}`, async () => {
      const fx = await collectorFixture();
      try {
        s3.proxy.requests.length = 0;
        fx.spotify.addPlays('alice', makePlays(5, new Date(Date.now() - 3_600_000)));
        const exportDir = path.join(await tempDir('iam-export-'), 'export');
        await generateExport(exportDir, { plays: 150, seed: 9, username: null, accountDataDays: 0 });
        const env = {
          ...fx.env,
          ...s3Env(s3.endpoint, 'lake'),
          STATE_URL: stateUrl,
          LOG_LEVEL: 'warn',
        };
        // Each run in a fresh working directory and HOME: only the environment, as in a container.
        const run = async (args: string[]) => {
          const cwd = await tempDir('iam-run-');
          const res = await runCli(args, { cwd, env: { ...env, HOME: cwd } });
          expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
          return res;
        };
        // The double authorizes every request against the printed policy, as S3 would (test/fakes/s3-policy.ts).
        const policyRun = await run(['iam', 'policy', '--json']);
        const { policy } = JSON.parse(policyRun.stdout) as { policy: PolicyDocument };
        s3.proxy.enforce(policy);
        await run(['run-once', '--json']);
        await run(['import', exportDir, '--user', 'alice', '--json']);
        await run(['run-once', '--json']);
        await run(['stats', '--json']);
        // `test` also checks Spotify, which passes against the fake.
        await run(['test', '--json']);

        const requests = s3.proxy.requests.filter((r) => r.kind !== 'OTHER' || r.bucket);
        expect(requests.length).toBeGreaterThan(10);
        const denied = requests
          .map((r) => ({ r, iam: s3Request(r) }))
          .filter(({ iam }) => !iam || !isAllowed(policy, iam))
          .map(({ r }) => `${r.method} ${r.kind} s3://${r.bucket}/${r.key}`);
        expect(denied).toEqual([]);
        // What was exercised: the lake, the lease, the state and the probe.
        const keys = requests.map((r) => `${r.kind} ${r.bucket}/${r.key}`);
        expect(keys.some((k) => k.startsWith('PUT lake/spotify_listening_history/'))).toBe(true);
        expect(keys.some((k) => k.startsWith('PUT lake/_pipeline/lease.json'))).toBe(true);
        expect(keys.some((k) => k.startsWith('DELETE lake/_probe/'))).toBe(true);
        const state = stateUrl.replace('s3://', '');
        expect(keys.some((k) => k.startsWith(`PUT ${state}`))).toBe(true);
        // First reads of keys that did not exist yet met S3's 403 and were settled by a listing of the key.
        const firstRead = requests.findIndex((r) => r.kind === 'GET' && r.status === 403);
        expect(firstRead).toBeGreaterThanOrEqual(0);
        expect(
          requests.slice(firstRead + 1).some((r) => r.kind === 'LIST' && r.key === requests[firstRead]!.key),
        ).toBe(true);
      } finally {
        s3.proxy.enforce(undefined);
        await fx.close();
      }
    });
  }

  it('`test` reads a missing key of the lake and of the state: a role whose ListBucket is gone fails it, naming the 403', async () => {
    const fx = await collectorFixture();
    try {
      const env = {
        ...fx.env,
        ...s3Env(s3.endpoint, 'lake'),
        STATE_URL: 's3://ops-state/t/',
        LOG_LEVEL: 'warn',
      };
      const cwd = await tempDir('iam-test-');
      const printed = await runCli(['iam', 'policy', '--json'], { cwd, env: { ...env, HOME: cwd } });
      const { policy } = JSON.parse(printed.stdout) as { policy: PolicyDocument };
      // The same policy without its ListBucket statements: a missing key can no longer be told from a denial.
      s3.proxy.enforce({
        ...policy,
        Statement: policy.Statement.filter((s) => !s.Action.includes('s3:ListBucket')),
      });
      const res = await runCli(['test', '--json'], { cwd, env: { ...env, HOME: cwd } });
      expect(res.code).toBe(1);
      const { checks } = JSON.parse(res.stdout) as {
        checks: { name: string; ok: boolean; detail: string }[];
      };
      const failed = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      expect(failed.join('\n')).toMatch(
        /storage \(s3:\/\/lake.*_pipeline\/spotify-pipeline-probe-missing.*AccessDenied 403/,
      );
      expect(failed.join('\n')).toMatch(/state \(s3:\/\/ops-state\/t\/\).*AccessDenied 403/);
      // With the policy as printed, both pass.
      s3.proxy.enforce(policy);
      const ok = await runCli(['test', '--json'], { cwd, env: { ...env, HOME: cwd } });
      expect(ok.code, ok.stdout).toBe(0);
    } finally {
      s3.proxy.enforce(undefined);
      await fx.close();
    }
  });
});
