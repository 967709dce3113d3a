/** The token store in AWS Secrets Manager, against the loopback fake through the real SDK. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createSecretsManagerClient } from '../../src/aws/secrets-manager-client.js';
import { SecretsManagerTokenStore } from '../../src/spotify/secrets-manager-token-store.js';
import {
  applyChange,
  parseTokenSecret,
  serializeTokenDocument,
} from '../../src/spotify/token-secret-format.js';
import type { StoredAccount } from '../../src/spotify/token-store.js';
import { FakeSecretsManager } from '../fakes/secrets-manager.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let fake: FakeSecretsManager;
let client: SecretsManagerClient;
let n = 0;
let secretName: string;

beforeAll(async () => {
  fake = new FakeSecretsManager();
  await fake.start();
  client = new SecretsManagerClient({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
    // The SDK's retries are part of what is tested (idempotent PutSecretValue); keep their waits short.
    maxAttempts: 3,
  });
});
afterAll(async () => {
  client?.destroy();
  await fake?.close();
});
beforeEach(() => {
  secretName = `spotify/tokens-${++n}`;
  fake.allowAll();
});

const store = (id = secretName) =>
  new SecretsManagerTokenStore({ secretId: id, region: 'us-east-1' }, client);

function account(id: string, refresh: string, extra: Partial<StoredAccount> = {}): StoredAccount {
  return {
    v: 1,
    user_id: id,
    display_name: `${id} name`,
    refresh_token: refresh,
    access_token: `access-of-${id}`,
    access_token_expires_at: '2030-01-01T00:00:00.000Z',
    scopes: ['user-read-recently-played'],
    authorized_at: '2026-10-01T00:00:00.000Z',
    authorized_at_known: true,
    client_id: 'client',
    seed_sha256: null,
    updated_at: '2026-10-01T00:00:00.000Z',
    ...extra,
  };
}

const current = () =>
  JSON.parse(fake.version(secretName)!.secretString!) as {
    v: number;
    accounts: Record<string, StoredAccount>;
  };
const previous = () =>
  JSON.parse(fake.version(secretName, 'AWSPREVIOUS')!.secretString!) as {
    accounts: Record<string, StoredAccount>;
  };
const puts = () => fake.callsOf('PutSecretValue').filter((c) => c.secretId === secretName);
const swaps = () => fake.callsOf('UpdateSecretVersionStage').filter((c) => c.secretId === secretName);

describe('SecretsManagerTokenStore', () => {
  it('starts empty from a secret created without a value, and writes the document on the first save', async () => {
    fake.create(secretName);
    const s = store();
    expect(await s.list()).toEqual([]);
    await s.save(account('alice', 'refresh-1'));
    const doc = current();
    expect(doc.v).toBe(1);
    expect(Object.keys(doc.accounts)).toEqual(['alice']);
    expect(doc.accounts.alice).toMatchObject({ user_id: 'alice', refresh_token: 'refresh-1' });
    // The hour-long access token is not kept in the secret: a refresh alone never writes it.
    expect(doc.accounts.alice!.access_token).toBeNull();
    expect((await store().read('alice'))!.refresh_token).toBe('refresh-1');
  });

  it('writes a rotated refresh token back (the old one stays as AWSPREVIOUS); an access token alone writes nothing', async () => {
    fake.create(secretName);
    const s = store();
    await s.save(account('alice', 'refresh-1'));
    await s.save(
      account('alice', 'refresh-1', {
        access_token: 'another-access',
        access_token_expires_at: '2031-01-01T00:00:00Z',
      }),
    );
    expect(puts()).toHaveLength(1);

    await s.save(account('alice', 'refresh-2'));
    expect(puts()).toHaveLength(2);
    expect(current().accounts.alice!.refresh_token).toBe('refresh-2');
    expect(previous().accounts.alice!.refresh_token).toBe('refresh-1');
    // Each write names its version: a ClientRequestToken of 32 hex digits.
    expect(puts().every((c) => /^[0-9a-f]{32}$/.test(c.clientRequestToken!))).toBe(true);
  });

  it('another writer changed the secret since we read it: our change goes on top of theirs', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'a-1') } }));
    const s = store();
    const alice = (await s.read('alice'))!;
    // Another process connects bob meanwhile.
    fake.put(
      secretName,
      serializeTokenDocument({ accounts: { alice: account('alice', 'a-1'), bob: account('bob', 'b-1') } }),
    );
    await s.save({ ...alice, refresh_token: 'a-2' });
    expect(current().accounts.alice!.refresh_token).toBe('a-2');
    expect(current().accounts.bob!.refresh_token).toBe('b-1');
    // The first version, built on the stale value, never became current: the swap refused it.
    expect(puts()).toHaveLength(2);
    expect(swaps().map((c) => c.error ?? 'ok')).toEqual(['InvalidParameterException', 'ok']);
  });

  it('another writer lands right before our PutSecretValue: its rotation is written back with ours', async () => {
    fake.create(
      secretName,
      serializeTokenDocument({ accounts: { alice: account('alice', 'a-1'), bob: account('bob', 'b-1') } }),
    );
    const s = store();
    const alice = (await s.read('alice'))!;
    // Bob's refresh token rotates in another process right before our PutSecretValue is served.
    fake.before('PutSecretValue', () => {
      fake.put(
        secretName,
        serializeTokenDocument({ accounts: { alice: account('alice', 'a-1'), bob: account('bob', 'b-2') } }),
      );
    });
    await s.save({ ...alice, refresh_token: 'a-2' });
    expect(current().accounts.alice!.refresh_token).toBe('a-2');
    expect(current().accounts.bob!.refresh_token).toBe('b-2');
    expect(puts()).toHaveLength(2);
  });

  it('an SDK retry of a PutSecretValue that landed creates no second version (same ClientRequestToken)', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'a-1') } }));
    const s = store();
    const base = fake.version(secretName)!.versionId;
    fake.fail('PutSecretValue', { status: 500, type: 'InternalServiceError', when: 'after' });
    await s.save(account('alice', 'a-2'));
    const attempts = puts();
    expect(attempts.map((c) => c.status)).toEqual([500, 200]);
    expect(attempts[0]!.clientRequestToken).toBe(attempts[1]!.clientRequestToken);
    expect(current().accounts.alice!.refresh_token).toBe('a-2');
    // The version before ours is still the one we built on: the retry was a no-op, not a duplicate.
    expect(fake.version(secretName, 'AWSPREVIOUS')!.versionId).toBe(base);
    expect(fake.secrets.get(secretName)!.versions).toHaveLength(2);
  });

  it('remove drops the account (kept in AWSPREVIOUS) and says whether it was there', async () => {
    fake.create(
      secretName,
      serializeTokenDocument({ accounts: { alice: account('alice', 'a-1'), bob: account('bob', 'b-1') } }),
    );
    const s = store();
    expect(await s.remove('alice')).toBe(true);
    expect(Object.keys(current().accounts)).toEqual(['bob']);
    expect(previous().accounts.alice).toBeDefined();
    expect(await s.remove('alice')).toBe(false);
    expect((await s.list()).map((a) => a.user_id)).toEqual(['bob']);
  });

  it.each([
    ['the bare token', 'AQD-pasted-token_123'],
    ['{"refresh_token": …}', '{"refresh_token":"AQD-pasted-token_123"}'],
    ['{"SPOTIFY_REFRESH_TOKEN": …}', '{"SPOTIFY_REFRESH_TOKEN":" AQD-pasted-token_123 "}'],
  ])('accepts a pasted refresh token as a seed: %s', async (_, value) => {
    fake.create(secretName, value);
    const s = store();
    expect(await s.list()).toEqual([]);
    expect(await s.seed()).toBe('AQD-pasted-token_123');
    // The first account written replaces the seed with the document.
    await s.save(account('alice', 'from-seed'));
    expect(await s.seed()).toBeUndefined();
    expect(fake.version(secretName, 'AWSPREVIOUS')!.secretString).toBe(value);
  });

  it('a value it cannot read stops with a message that does not echo it', async () => {
    for (const [i, value] of [
      'not a token at all',
      '{"v":1,"accounts":{"alice":{"refresh_token":"SECRET-XYZ"}}}',
      '{broken SECRET-XYZ',
    ].entries()) {
      const id = `${secretName}-${i}`;
      fake.create(id, value);
      const err = await store(id)
        .list()
        .catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('does not hold Spotify tokens the pipeline can read');
      expect((err as Error).message).not.toContain('SECRET-XYZ');
      expect((err as Error).message).not.toContain('not a token at all');
    }
  });

  it('a missing secret: ConfigError saying how to create it', async () => {
    const err = (await store('no/such/secret')
      .list()
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('"no/such/secret" (SPOTIFY_TOKEN_SECRET_ID) does not exist in us-east-1');
    expect(err.message).toContain('aws secretsmanager create-secret --name no/such/secret');
  });

  it('access denied: names the IAM actions the role needs, and never the token', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'TOKEN-1') } }));
    fake.deny(secretName, 'PutSecretValue');
    const err = (await store()
      .save(account('alice', 'TOKEN-2'))
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('(secretsmanager:PutSecretValue)');
    for (const action of [
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:DescribeSecret',
    ]) {
      expect(err.message).toContain(action);
    }
    expect(err.message).not.toMatch(/TOKEN-[12]/);
    fake.deny(secretName, 'GetSecretValue');
    const read = (await store()
      .list()
      .catch((e: unknown) => e)) as Error;
    expect(read.message).toContain('(secretsmanager:GetSecretValue)');
  });

  it("two writers interleaved as in the review (F8): no writer's rotation is lost", async () => {
    // A collects accounts x and z, B is an `auth login` for y; both read V0 first.
    fake.create(
      secretName,
      serializeTokenDocument({
        accounts: { x: account('x', 'x-0'), y: account('y', 'y-0'), z: account('z', 'z-0') },
      }),
    );
    const a = store();
    const b = store();
    const [x, y, z] = [(await a.read('x'))!, (await b.read('y'))!, (await a.read('z'))!];
    await a.save({ ...x, refresh_token: 'x-1' }); // V0 -> VA1
    await b.save({ ...y, refresh_token: 'y-1' }); // built on V0: refused, redone on VA1
    await a.save({ ...z, refresh_token: 'z-1' }); // built on VA1: refused, redone on B's version
    expect(Object.values(current().accounts).map((acc) => acc.refresh_token)).toEqual(['x-1', 'y-1', 'z-1']);
  });

  it('another writer lands between our PutSecretValue and our swap: both rotations are kept', async () => {
    fake.create(
      secretName,
      serializeTokenDocument({ accounts: { alice: account('alice', 'a-1'), bob: account('bob', 'b-1') } }),
    );
    const mine = store();
    const theirs = store();
    const alice = (await mine.read('alice'))!;
    const bob = (await theirs.read('bob'))!;
    // The other writer's whole save runs just before our UpdateSecretVersionStage is served.
    fake.before('UpdateSecretVersionStage', () => theirs.save({ ...bob, refresh_token: 'b-2' }));
    await mine.save({ ...alice, refresh_token: 'a-2' });
    expect(current().accounts.alice!.refresh_token).toBe('a-2');
    expect(current().accounts.bob!.refresh_token).toBe('b-2');
    // No version of ours but the last is current; the pending label is on one version only.
    const labels = fake.secrets.get(secretName)!.versions.flatMap((v) => v.stages);
    expect(labels.filter((l) => l === 'spotify-pipeline-pending')).toHaveLength(1);
  });

  it('a swap whose answer was lost (the SDK retries it) is still a success', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'a-1') } }));
    const s = store();
    fake.fail('UpdateSecretVersionStage', { status: 500, type: 'InternalServiceError', when: 'after' });
    await s.save(account('alice', 'a-2'));
    expect(current().accounts.alice!.refresh_token).toBe('a-2');
    expect(puts()).toHaveLength(1);
  });

  it('a value over the 65,536-byte quota is refused before any write, saying what to do', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'a-1') } }));
    const s = store();
    const err = (await s
      .save(account('bob', 'b-1', { display_name: 'b'.repeat(70_000) }))
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/over Secrets Manager's limit of 65536 bytes.*auth logout/);
    expect(err.message).not.toContain('b-1');
    expect(puts()).toHaveLength(0);
  });

  it('a call that hangs times out (the SDK has no timeout of its own) and fails the run with exit 1', async () => {
    fake.create(secretName, serializeTokenDocument({ accounts: { alice: account('alice', 'a-1') } }));
    const settings = { secretId: secretName, region: 'us-east-1', endpointUrl: fake.endpoint };
    process.env.AWS_ACCESS_KEY_ID ??= 'K'; // the client takes the default credential chain, as in production
    process.env.AWS_SECRET_ACCESS_KEY ??= 'S';
    const timed = await createSecretsManagerClient(settings, { requestTimeoutMs: 200 });
    fake.hang('GetSecretValue', 5); // every attempt of the SDK (maxAttempts 5)
    const err = (await new SecretsManagerTokenStore(settings, timed)
      .list()
      .catch((e: unknown) => e)) as Error & { exitCode: number };
    timed.destroy();
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/GetSecretValue on ".*" failed \(TimeoutError\)/);
    expect(fake.callsOf('GetSecretValue').filter((c) => c.secretId === secretName)).toHaveLength(5);
  });

  it('an unreachable endpoint fails with exit 1 and a message naming the endpoint setting', async () => {
    const dead = new SecretsManagerClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
      maxAttempts: 1,
    });
    const err = (await new SecretsManagerTokenStore({ secretId: 'x' }, dead)
      .list()
      .catch((e: unknown) => e)) as Error & {
      exitCode: number;
    };
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('SECRETS_MANAGER_ENDPOINT_URL');
    dead.destroy();
  });
});

describe('the secret value format', () => {
  it('round-trips the document with accounts sorted, and applies one change at a time', () => {
    const doc = { accounts: { zed: account('zed', 'z'), amy: account('amy', 'a') } };
    const text = serializeTokenDocument(doc);
    expect(Object.keys(JSON.parse(text).accounts)).toEqual(['amy', 'zed']);
    expect(parseTokenSecret(text).accounts.zed!.refresh_token).toBe('z');
    expect(applyChange(parseTokenSecret(text), { set: account('amy', 'a') }, new Date())).toBeUndefined();
    expect(applyChange(parseTokenSecret(text), { remove: 'nobody' }, new Date())).toBeUndefined();
    const changed = applyChange(parseTokenSecret(text), { set: account('amy', 'a2') }, new Date())!;
    expect(changed.accounts.amy!.refresh_token).toBe('a2');
    expect(changed.accounts.zed!.refresh_token).toBe('z');
  });

  it('an account filed under another id is refused', () => {
    const text = JSON.stringify({ v: 1, accounts: { bob: account('alice', 'a') } });
    expect(() => parseTokenSecret(text)).toThrow(/under "bob" says it is "alice"/);
  });
});
