/** The Secrets Manager fake against the API reference, driven through the real @aws-sdk/client-secrets-manager. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { FakeSecretsManager, MAX_SECRET_BYTES } from './secrets-manager.js';
import { sdkFailure } from '../helpers/sdk-failure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let fake: FakeSecretsManager;
let sm: SecretsManagerClient;

beforeAll(async () => {
  fake = new FakeSecretsManager();
  await fake.start();
  sm = new SecretsManagerClient({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sm?.destroy();
  await fake?.close();
});

const TOKEN_A = 'a'.repeat(32);
const TOKEN_B = 'b'.repeat(32);

describe('the Secrets Manager JSON API', () => {
  it('speaks awsJson1_1: one POST / per call with the X-Amz-Target of the operation', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'proto', SecretString: 'x' }));
    const call = fake.calls.at(-1)!;
    expect(call).toMatchObject({ operation: 'CreateSecret', secretId: 'proto', status: 200 });
    // The SDK fills ClientRequestToken (an idempotency token) itself: the version id is a UUID.
    expect(fake.version('proto')!.versionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('CreateSecret then GetSecretValue by name, full ARN and partial ARN', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'app/tokens', SecretString: '{"v":1}' }));
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:app\/tokens-[A-Za-z0-9]{6}$/,
    );
    for (const id of ['app/tokens', created.ARN!, created.ARN!.slice(0, -7)]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(got).toMatchObject({
        ARN: created.ARN,
        Name: 'app/tokens',
        VersionId: created.VersionId,
        SecretString: '{"v":1}',
        VersionStages: ['AWSCURRENT'],
      });
      expect(got.CreatedDate).toBeInstanceOf(Date);
    }
    const again = await sdkFailure(
      sm.send(new CreateSecretCommand({ Name: 'app/tokens', SecretString: 'y' })),
    );
    expect(again).toMatchObject({ name: 'ResourceExistsException', status: 400 });
  });

  it('PutSecretValue moves AWSCURRENT to the new version and AWSPREVIOUS to the old one', async () => {
    const v1 = (await sm.send(new CreateSecretCommand({ Name: 'stages', SecretString: 'one' }))).VersionId!;
    const v2 = await sm.send(
      new PutSecretValueCommand({ SecretId: 'stages', SecretString: 'two', ClientRequestToken: TOKEN_A }),
    );
    expect(v2).toMatchObject({ Name: 'stages', VersionId: TOKEN_A, VersionStages: ['AWSCURRENT'] });

    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'stages' }))).SecretString).toBe('two');
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: 'stages', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(previous).toMatchObject({ SecretString: 'one', VersionId: v1, VersionStages: ['AWSPREVIOUS'] });
    const byId = await sm.send(
      new GetSecretValueCommand({ SecretId: 'stages', VersionId: v1, VersionStage: 'AWSPREVIOUS' }),
    );
    expect(byId.SecretString).toBe('one');

    await sm.send(
      new PutSecretValueCommand({ SecretId: 'stages', SecretString: 'three', ClientRequestToken: TOKEN_B }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'stages' }));
    // The first version lost its last label: DescribeSecret lists only labelled versions.
    expect(described.VersionIdsToStages).toEqual({ [TOKEN_A]: ['AWSPREVIOUS'], [TOKEN_B]: ['AWSCURRENT'] });
    expect(described.Name).toBe('stages');
    expect(described.LastChangedDate).toBeInstanceOf(Date);
    // An unlabelled version stays readable by id.
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'stages', VersionId: v1 }))).SecretString,
    ).toBe('one');
  });

  it('ClientRequestToken: the same token and value is a no-op; the same token with another value fails', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'seed' }));
    const first = await sm.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v', ClientRequestToken: TOKEN_A }),
    );
    const retry = await sm.send(
      new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'v', ClientRequestToken: TOKEN_A }),
    );
    expect(retry.VersionId).toBe(first.VersionId);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'idem' }));
    expect(Object.keys(described.VersionIdsToStages!)).toHaveLength(2);
    // The retry did not push the seed out of AWSPREVIOUS.
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 'idem', VersionStage: 'AWSPREVIOUS' })))
        .SecretString,
    ).toBe('seed');

    const changed = await sdkFailure(
      sm.send(
        new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'other', ClientRequestToken: TOKEN_A }),
      ),
    );
    expect(changed).toMatchObject({ name: 'ResourceExistsException', status: 400 });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'idem' }))).SecretString).toBe('v');
  });

  it('a secret created without a value has no AWSCURRENT until the first PutSecretValue', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    expect(created.VersionId).toBeUndefined();
    expect(await sdkFailure(sm.send(new GetSecretValueCommand({ SecretId: 'empty' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 400,
    });
    await sm.send(
      new PutSecretValueCommand({ SecretId: 'empty', SecretString: 'first', VersionStages: ['CUSTOM'] }),
    );
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'empty' }));
    expect(got.SecretString).toBe('first');
    expect(got.VersionStages!.sort()).toEqual(['AWSCURRENT', 'CUSTOM']);
  });

  it('ResourceNotFoundException for an unknown secret or version, as JSON with __type', async () => {
    for (const call of [
      sm.send(new GetSecretValueCommand({ SecretId: 'nope' })),
      sm.send(new PutSecretValueCommand({ SecretId: 'nope', SecretString: 'x' })),
      sm.send(new DescribeSecretCommand({ SecretId: 'nope' })),
      sm.send(new GetSecretValueCommand({ SecretId: 'stages', VersionId: 'f'.repeat(32) })),
    ]) {
      const e = await sdkFailure(call);
      expect(e).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
      expect(e.message).toContain("Secrets Manager can't find the specified secret");
    }
    const raw = await fetch(fake.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
        authorization: 'AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/secretsmanager/aws4_request',
      },
      body: JSON.stringify({ SecretId: 'nope' }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({
      __type: 'ResourceNotFoundException',
      Message: "Secrets Manager can't find the specified secret.",
    });
  });

  it('AccessDeniedException per secret and operation, naming the IAM action', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'locked', SecretString: 'x' }));
    fake.deny('locked', 'PutSecretValue');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'locked' }))).SecretString).toBe('x');
    const denied = await sdkFailure(
      sm.send(new PutSecretValueCommand({ SecretId: 'locked', SecretString: 'y' })),
    );
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(denied.message).toContain('not authorized to perform: secretsmanager:PutSecretValue');
    fake.deny('locked', '*');
    expect(await sdkFailure(sm.send(new DescribeSecretCommand({ SecretId: 'locked' })))).toMatchObject({
      name: 'AccessDeniedException',
    });
    fake.allowAll();
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'locked' }))).Name).toBe('locked');
  });

  it('injected errors and a hook that lets another writer land just before a call', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'hooks', SecretString: 'mine' }));
    fake.fail('GetSecretValue', { status: 500, type: 'InternalServiceError' });
    expect(await sdkFailure(sm.send(new GetSecretValueCommand({ SecretId: 'hooks' })))).toMatchObject({
      name: 'InternalServiceError',
      status: 500,
    });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'hooks' }))).SecretString).toBe('mine');

    fake.before('DescribeSecret', () => void fake.put('hooks', 'theirs'));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'hooks' }));
    const current = Object.entries(described.VersionIdsToStages!).find(([, s]) =>
      s.includes('AWSCURRENT'),
    )![0];
    expect(current).toBe(fake.version('hooks')!.versionId);
    expect(fake.version('hooks')!.secretString).toBe('theirs');
    expect(fake.callsOf('DescribeSecret').at(-1)).toMatchObject({ secretId: 'hooks', status: 200 });
  });
});

const stagesOf = async (id: string) =>
  (await sm.send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages ?? {};

describe('UpdateSecretVersionStage: a label moves only from the version named (API_UpdateSecretVersionStage.html)', () => {
  it('moves AWSCURRENT from RemoveFromVersionId to MoveToVersionId, and AWSPREVIOUS to the version it left', async () => {
    const v0 = (await sm.send(new CreateSecretCommand({ Name: 'cas', SecretString: 'v0' }))).VersionId!;
    const pending = await sm.send(
      new PutSecretValueCommand({ SecretId: 'cas', SecretString: 'v1', VersionStages: ['PENDING'] }),
    );
    // A version put under a custom label is not current yet.
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'cas' }))).SecretString).toBe('v0');
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'cas',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: v0,
      }),
    );
    expect(await stagesOf('cas')).toEqual({
      [v0]: ['AWSPREVIOUS'],
      [pending.VersionId!]: ['PENDING', 'AWSCURRENT'],
    });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'cas' }))).SecretString).toBe('v1');
  });

  it('fails when the label is on another version than RemoveFromVersionId, or when it is omitted: a compare-and-swap', async () => {
    const v0 = (await sm.send(new CreateSecretCommand({ Name: 'cas2', SecretString: 'v0' }))).VersionId!;
    const mine = await sm.send(
      new PutSecretValueCommand({ SecretId: 'cas2', SecretString: 'mine', VersionStages: ['PENDING'] }),
    );
    // Another writer made its own version current meanwhile.
    const theirs = fake.put('cas2', 'theirs');
    const swap = (removeFrom?: string) =>
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'cas2',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: mine.VersionId,
          ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
        }),
      );
    expect(await sdkFailure(swap(v0))).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect(await sdkFailure(swap())).toMatchObject({ name: 'InvalidParameterException', status: 400 });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'cas2' }))).SecretString).toBe('theirs');
    // Named right, it goes through.
    await swap(theirs.versionId);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'cas2' }))).SecretString).toBe('mine');
    // An unknown version to move to.
    expect(
      await sdkFailure(
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: 'cas2',
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: 'f'.repeat(32),
            RemoveFromVersionId: mine.VersionId,
          }),
        ),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('a custom label moves with the next PutSecretValue that names it, so labels do not pile up', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'labels', SecretString: 'v0' }));
    const a = await sm.send(
      new PutSecretValueCommand({ SecretId: 'labels', SecretString: 'a', VersionStages: ['PENDING'] }),
    );
    const b = await sm.send(
      new PutSecretValueCommand({ SecretId: 'labels', SecretString: 'b', VersionStages: ['PENDING'] }),
    );
    const stages = await stagesOf('labels');
    expect(stages[b.VersionId!]).toEqual(['PENDING']);
    expect(stages[a.VersionId!]).toBeUndefined();
  });
});

describe('quotas (reference_limits.html)', () => {
  it('a secret value over 65,536 bytes is refused; one of exactly that size is stored', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'size', SecretString: 'x' }));
    const tooBig = await sdkFailure(
      sm.send(
        new PutSecretValueCommand({ SecretId: 'size', SecretString: 'é'.repeat(MAX_SECRET_BYTES / 2 + 1) }),
      ),
    );
    expect(tooBig).toMatchObject({ name: 'ValidationException', status: 400 });
    await sm.send(
      new PutSecretValueCommand({ SecretId: 'size', SecretString: 'é'.repeat(MAX_SECRET_BYTES / 2) }),
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'size' }))).SecretString).toHaveLength(
      MAX_SECRET_BYTES / 2,
    );
  });

  it('beyond the requests per second of a quota group: ThrottlingException, until the next second', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'rate', SecretString: 'x' }));
    let t = 5_000_000;
    fake.clock = () => t;
    try {
      fake.rates.set('write', 2); // the documented 50 per second, lowered to keep the test small
      await sm.send(new PutSecretValueCommand({ SecretId: 'rate', SecretString: '1' }));
      await sm.send(new PutSecretValueCommand({ SecretId: 'rate', SecretString: '2' }));
      expect(
        await sdkFailure(sm.send(new PutSecretValueCommand({ SecretId: 'rate', SecretString: '3' }))),
      ).toMatchObject({ name: 'ThrottlingException', status: 400, message: 'Rate exceeded' });
      // Reads are another group, with their own quota.
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'rate' }))).SecretString).toBe('2');
      t += 1000;
      await sm.send(new PutSecretValueCommand({ SecretId: 'rate', SecretString: '3' }));
    } finally {
      fake.rates.clear();
      fake.clock = () => Date.now();
    }
  });
});

describe('enforce(policy): IAM decides before the lookup', () => {
  it('allows the granted actions on the secret ARN (-?????? matches the suffix), denies the rest and a missing secret', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'iam/tokens', SecretString: 'x' }));
    fake.enforce({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'S',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:iam/tokens-??????'],
        },
      ],
    });
    try {
      // Whatever form the SecretId takes, IAM matches the secret's full ARN.
      for (const id of ['iam/tokens', created.ARN!, created.ARN!.slice(0, -7)])
        expect((await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('x');
      const put = await sdkFailure(
        sm.send(new PutSecretValueCommand({ SecretId: 'iam/tokens', SecretString: 'y' })),
      );
      expect(put).toMatchObject({ name: 'AccessDeniedException', status: 400 });
      expect(put.message).toContain('secretsmanager:PutSecretValue');
      // A secret that does not exist has no ARN the grant matches: denied, not "not found".
      expect(await sdkFailure(sm.send(new GetSecretValueCommand({ SecretId: 'iam/nope' })))).toMatchObject({
        name: 'AccessDeniedException',
      });
    } finally {
      fake.enforce(undefined);
    }
  });
});
