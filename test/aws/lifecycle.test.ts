import { PutObjectCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  assertSparesProtected,
  confirmWritten,
  foreignRuleWarnings,
  noncurrentCleanupRules,
  mergeRules,
  pipelineRules,
  summarizeSizes,
  validateLifecycleOptions,
} from '../../src/aws/lifecycle.js';
import { startLifecycleS3, testS3Client, type LifecycleS3 } from '../fakes/s3-lifecycle.js';
import { runCli, tempDir } from '../helpers/cli.js';

const PREFIXES = ['spotify_listening_history/', 'spotify_episode_history/'];
const opts = { storageClass: 'INTELLIGENT_TIERING', transitionDays: 30 };

describe('lifecycle rules (pure)', () => {
  it('refuses classes that cannot be read without a restore, with the reason', () => {
    for (const cls of ['GLACIER', 'deep_archive', 'ONEZONE_IA']) {
      expect(() => validateLifecycleOptions({ ...opts, storageClass: cls })).toThrow(ConfigError);
    }
    expect(() => validateLifecycleOptions({ ...opts, storageClass: 'GLACIER' })).toThrow(
      /restored.*warehouse, `snowflake status`/s,
    );
    expect(() => validateLifecycleOptions({ ...opts, storageClass: 'REDUCED_REDUNDANCY' })).toThrow(
      /must be one of/,
    );
    expect(() => validateLifecycleOptions({ storageClass: 'STANDARD_IA', transitionDays: 29 })).toThrow(
      /at least 30/,
    );
    expect(validateLifecycleOptions({ storageClass: 'standard_ia', transitionDays: 30 }).storageClass).toBe(
      'STANDARD_IA',
    );
    expect(validateLifecycleOptions({ storageClass: 'GLACIER_IR', transitionDays: 0 }).transitionDays).toBe(
      0,
    );
  });

  it('one rule per dataset prefix, named spotify-pipeline:<prefix>, with the optional actions', () => {
    const rules = pipelineRules(PREFIXES, { ...opts, expireNoncurrentDays: 7, abortMultipartDays: 3 });
    expect(rules[0]).toEqual({
      ID: 'spotify-pipeline:spotify_listening_history/',
      Status: 'Enabled',
      Filter: { Prefix: 'spotify_listening_history/' },
      Transitions: [{ Days: 30, StorageClass: 'INTELLIGENT_TIERING' }],
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
    });
    expect(rules.map((r) => r.Filter?.Prefix)).toEqual(PREFIXES);
  });

  it('versioned buckets: the lease and the state get rules that expire only noncurrent versions and lone delete markers', () => {
    const rules = noncurrentCleanupRules([{ prefix: '_pipeline/' }, { prefix: '_pipeline_state/' }], 3);
    expect(rules[0]).toEqual({
      ID: 'spotify-pipeline:noncurrent:_pipeline/',
      Status: 'Enabled',
      Filter: { Prefix: '_pipeline/' },
      NoncurrentVersionExpiration: { NoncurrentDays: 3 },
      Expiration: { ExpiredObjectDeleteMarker: true },
    });
    // Nothing that touches the current lease or state: no transition, no expiration by age.
    for (const r of rules) {
      expect(r.Transitions).toBeUndefined();
      expect(r.Expiration?.Days).toBeUndefined();
    }
  });

  it('the read-back after a write waits out S3’s propagation lag instead of reporting a concurrent edit', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    let reads = 0;
    const lagging = async (): Promise<{ rules: LifecycleRule[] }> => ({
      rules: ++reads >= 3 ? [{ ID: 'mine', Status: 'Enabled' }] : [],
    });
    const has = (rules: readonly LifecycleRule[]) => rules.some((r) => r.ID === 'mine');
    expect(await confirmWritten(lagging, has, [10, 20, 30], sleep)).toBe(true);
    expect(slept).toEqual([10, 20]);
    slept.length = 0;
    expect(await confirmWritten(async () => ({ rules: [] }), has, [10, 20], sleep)).toBe(false);
    expect(slept).toEqual([10, 20]);
  });

  it('merges by ID: other rules kept as read and in place, ours added, replaced or unchanged, or removed', () => {
    const theirs: LifecycleRule = {
      ID: 'logs',
      Status: 'Enabled',
      Filter: { Prefix: 'logs/' },
      Expiration: { Days: 90 },
    };
    const ours = pipelineRules(PREFIXES, opts);
    const first = mergeRules([theirs], ours);
    expect(first.rules).toEqual([theirs, ...ours]);
    expect(first).toMatchObject({ added: ours.map((r) => r.ID), kept: ['logs'], changed: true });

    const again = mergeRules(first.rules, ours);
    expect(again).toMatchObject({ unchanged: ours.map((r) => r.ID), changed: false });

    const longer = pipelineRules(PREFIXES, { ...opts, transitionDays: 60 });
    const replaced = mergeRules(first.rules, longer);
    expect(replaced.rules).toEqual([theirs, ...longer]);
    expect(replaced.replaced).toEqual(longer.map((r) => r.ID));

    const removed = mergeRules(first.rules, ours, { remove: true });
    expect(removed.rules).toEqual([theirs]);
    expect(removed.removed).toHaveLength(2);
    expect(mergeRules([], ours, { remove: true })).toMatchObject({ rules: [], changed: false });
  });

  it('warns of the bucket’s other rules that would archive or delete the lake, the lease or the state', () => {
    const watched = [
      { prefix: 'spotify_listening_history/', what: 'the lake' },
      { prefix: '_pipeline/', what: 'the lease' },
    ];
    const bucketWide: LifecycleRule = {
      ID: 'archive-all',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
    };
    const [w] = foreignRuleWarnings([bucketWide], watched);
    expect(w).toMatch(/"archive-all" \(the whole bucket\) moves the lake, the lease to GLACIER/);
    expect(
      foreignRuleWarnings(
        [{ ID: 'x', Status: 'Enabled', Filter: { Prefix: '_pipeline/' }, Expiration: { Days: 1 } }],
        watched,
      )[0],
    ).toMatch(/expires \(deletes\) the lease/);
    // Disabled, tag-filtered, instantly readable, or elsewhere: nothing to say.
    expect(
      foreignRuleWarnings(
        [
          { ...bucketWide, Status: 'Disabled' },
          { ...bucketWide, Filter: { Tag: { Key: 'k', Value: 'v' } } },
          { ...bucketWide, Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }] },
          { ...bucketWide, Filter: { Prefix: 'logs/' } },
        ],
        watched,
      ),
    ).toEqual([]);
  });

  it('refuses a dataset prefix that contains the lease or the state', () => {
    expect(() =>
      assertSparesProtected(PREFIXES, [
        { prefix: 'spotify_listening_history/state/', what: 'the pipeline state' },
      ]),
    ).toThrow(/overlaps spotify_listening_history\/state\/ \(the pipeline state\)/);
    expect(() =>
      assertSparesProtected(PREFIXES, [{ prefix: '_pipeline/', what: 'the lease' }]),
    ).not.toThrow();
  });

  it('counts the objects S3 would transition (128 KB or more)', () => {
    expect(summarizeSizes('p/', [100, 131_071, 131_072, 500_000])).toEqual({
      prefix: 'p/',
      objects: 4,
      bytes: 762_243,
      transitionable: 2,
    });
  });
});

describe('lake lifecycle (CLI, through the lifecycle fake)', () => {
  let s3: LifecycleS3;
  let client: S3Client;
  const foreign =
    '<LifecycleConfiguration><Rule><ID>logs-expire</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>90</Days></Expiration></Rule></LifecycleConfiguration>';

  beforeAll(async () => {
    s3 = await startLifecycleS3(['lake']);
    client = await testS3Client(s3.endpoint);
    for (const [key, size] of [
      ['spotify_listening_history/2024/01/01/a.json.gz', 2_000],
      ['spotify_listening_history/2024/01/02/b.json.gz', 3_000],
      ['spotify_listening_history/2024/01/03/c.json.gz', 200_000],
    ] as const)
      await client.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: Buffer.alloc(size) }));
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.close();
  });
  beforeEach(() => {
    s3.proxy.configurations.clear();
    s3.proxy.requests.length = 0;
  });

  const env = () => ({
    S3_BUCKET_NAME: 'lake',
    S3_ENDPOINT_URL: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    LOG_LEVEL: 'warn',
  });
  const lifecycle = async (args: string[], extra: Record<string, string> = {}) => {
    const cwd = await tempDir('lifecycle-');
    return runCli(['lake', 'lifecycle', ...args], { cwd, env: { ...env(), HOME: cwd, ...extra } });
  };
  const puts = () => s3.proxy.requests.filter((r) => r.method === 'PUT');

  it('a dry run prints the merged configuration and the sizes, and writes nothing', async () => {
    s3.proxy.preset('lake', foreign);
    const res = await lifecycle([]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('dry run: nothing is changed');
    expect(res.stdout).toContain(
      'spotify-pipeline:spotify_listening_history/ (new): spotify_listening_history/: to INTELLIGENT_TIERING after 30 days',
    );
    expect(res.stdout).toContain('other rules, kept as they are: logs-expire');
    expect(res.stdout).toContain('never transitioned: _pipeline/ (the lease)');
    expect(res.stdout).toMatch(/spotify_listening_history\/: 3 objects, .*; 1 of them are 128 KB or more/);
    expect(res.stdout).toContain('"ID": "logs-expire"');
    expect(puts()).toEqual([]);
    expect(s3.proxy.stored('lake')).not.toContain('spotify-pipeline');
  });

  it('--apply keeps the other rules and the bucket’s minimum object size, adds ours; a second --apply writes nothing', async () => {
    s3.proxy.preset('lake', foreign, 'varies_by_storage_class');
    const res = await lifecycle([
      '--apply',
      '--storage-class',
      'standard_ia',
      '--transition-days',
      '45',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { applied: boolean; added: string[]; kept: string[] };
    expect(out).toMatchObject({ applied: true, kept: ['logs-expire'] });
    expect(out.added).toEqual([
      'spotify-pipeline:spotify_listening_history/',
      'spotify-pipeline:spotify_episode_history/',
    ]);
    const stored = s3.proxy.stored('lake')!;
    // The other team's rule goes back as it was read (the SDK orders the elements its own way).
    const logs =
      /<Rule>(?:(?!<\/Rule>).)*<ID>logs-expire<\/ID>(?:(?!<\/Rule>).)*<\/Rule>/.exec(stored)?.[0] ?? '';
    for (const part of [
      '<Filter><Prefix>logs/</Prefix></Filter>',
      '<Status>Enabled</Status>',
      '<Expiration><Days>90</Days></Expiration>',
    ])
      expect(logs).toContain(part);
    expect(stored).toContain('<Prefix>spotify_episode_history/</Prefix>');
    expect(stored).toContain('<Days>45</Days><StorageClass>STANDARD_IA</StorageClass>');
    expect(stored).not.toContain('_pipeline/');
    expect(s3.proxy.configurations.get('lake')!.minimumObjectSize).toBe('varies_by_storage_class');
    expect(puts()).toHaveLength(1);

    const again = await lifecycle(['--apply', '--storage-class', 'STANDARD_IA', '--transition-days', '45']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already as asked: nothing written');
    expect(puts()).toHaveLength(1);

    const changed = await lifecycle(['--apply', '--transition-days', '90', '--json']);
    expect(JSON.parse(changed.stdout)).toMatchObject({
      applied: true,
      replaced: out.added,
      kept: ['logs-expire'],
    });
    expect(s3.proxy.stored('lake')).toContain(
      '<Days>90</Days><StorageClass>INTELLIGENT_TIERING</StorageClass>',
    );
    expect(s3.proxy.stored('lake')).toContain('<ID>logs-expire</ID>');
  });

  it('--expire-noncurrent-days also covers the lease and a state prefix in the bucket (versioned buckets), and --remove takes those out too', async () => {
    const res = await lifecycle(['--apply', '--expire-noncurrent-days', '3', '--json'], {
      STATE_URL: 's3://lake/_pipeline_state/',
    });
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { added: string[] }).added).toEqual([
      'spotify-pipeline:spotify_listening_history/',
      'spotify-pipeline:spotify_episode_history/',
      'spotify-pipeline:noncurrent:_pipeline/',
      'spotify-pipeline:noncurrent:_pipeline_state/',
    ]);
    const stored = s3.proxy.stored('lake')!;
    const lease =
      /<Rule>(?:(?!<\/Rule>).)*<ID>spotify-pipeline:noncurrent:_pipeline\/<\/ID>(?:(?!<\/Rule>).)*<\/Rule>/.exec(
        stored,
      )?.[0] ?? '';
    expect(lease).toContain('<NoncurrentDays>3</NoncurrentDays>');
    expect(lease).toContain('<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>');
    expect(lease).not.toContain('<Transition>');
    const removed = await lifecycle(['--remove', '--apply'], { STATE_URL: 's3://lake/_pipeline_state/' });
    expect(removed.code, removed.stderr).toBe(0);
    expect(s3.proxy.stored('lake')).toBeUndefined();
  });

  it('a read-back that still shows the old configuration (S3’s propagation lag) is waited out, not called a concurrent edit', async () => {
    s3.proxy.lagReads = 1;
    try {
      const res = await lifecycle(['--apply', '--json']);
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as { applied: boolean; warnings: string[] };
      expect(out.applied).toBe(true);
      expect(out.warnings).toEqual([]);
      // The write, then a read that lagged and one that showed it.
      const gets = s3.proxy.requests.filter((r) => r.method === 'GET');
      expect(gets.at(-2)!.status).toBe(404);
      expect(gets.at(-1)!.status).toBe(200);
    } finally {
      s3.proxy.lagReads = 0;
    }
  });

  it('--remove --apply takes ours out; with no rule left the configuration is deleted', async () => {
    s3.proxy.preset('lake', foreign);
    expect((await lifecycle(['--apply'])).code).toBe(0);
    const res = await lifecycle(['--remove', '--apply']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      'removed: spotify-pipeline:spotify_listening_history/, spotify-pipeline:spotify_episode_history/',
    );
    expect(s3.proxy.stored('lake')).not.toContain('spotify-pipeline');
    expect(s3.proxy.stored('lake')).toContain('logs-expire');

    s3.proxy.configurations.clear();
    expect((await lifecycle(['--apply'])).code).toBe(0);
    expect((await lifecycle(['--remove', '--apply'])).code).toBe(0);
    expect(s3.proxy.requests.at(-2)).toMatchObject({ method: 'DELETE', status: 204 });
    expect(s3.proxy.stored('lake')).toBeUndefined();
  });

  it('refuses GLACIER and DEEP_ARCHIVE with the reason, exit 2, before touching the bucket', async () => {
    for (const cls of ['GLACIER', 'DEEP_ARCHIVE']) {
      const res = await lifecycle(['--apply', '--storage-class', cls]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/is refused: .*cannot be read until they are restored/);
    }
    const ia = await lifecycle(['--storage-class', 'STANDARD_IA', '--transition-days', '10']);
    expect(ia.code).toBe(2);
    expect(ia.stderr).toMatch(/at least 30 for STANDARD_IA/);
    expect(s3.proxy.requests).toEqual([]);
  });

  it('warns of another rule that archives the lake; refuses a state prefix inside a dataset; needs an S3 lake', async () => {
    s3.proxy.preset(
      'lake',
      '<LifecycleConfiguration><Rule><ID>cold</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Transition><Days>180</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition></Rule></LifecycleConfiguration>',
    );
    const warned = await lifecycle(['--no-size-check']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(
      /warning: the bucket's rule "cold" \(the whole bucket\) moves the lake .*the lease to DEEP_ARCHIVE/,
    );

    const inside = await lifecycle([], { STATE_URL: 's3://lake/spotify_listening_history/_state/' });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/overlaps spotify_listening_history\/_state\/ \(the pipeline state\)/);

    const state = await lifecycle(['--no-size-check'], { STATE_URL: 's3://lake/_pipeline_state/' });
    expect(state.stdout).toContain(
      'never transitioned: _pipeline/ (the lease), _pipeline_state/ (the pipeline state)',
    );

    const cwd = await tempDir('lifecycle-local-');
    const local = await runCli(['lake', 'lifecycle'], { cwd, env: { HOME: cwd } });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/works on an S3 lake: set S3_BUCKET_NAME/);
  });
});
