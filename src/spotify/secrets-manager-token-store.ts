import { createHash } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenSecretSettings } from '../config.js';
import { ConfigError, PipelineError } from '../errors.js';
import {
  applyChange,
  parseTokenSecret,
  serializeTokenDocument,
  type AccountChange,
  type TokenDocument,
} from './token-secret-format.js';
import type { StoredAccount } from './stored-account.js';
import type { TokenStore } from './token-store.js';

/** The AWS SDK is heavy: it is imported only when the tokens live in Secrets Manager. */
async function sdk() {
  return import('@aws-sdk/client-secrets-manager');
}

export async function createSecretsManagerClient(
  settings: TokenSecretSettings,
): Promise<SecretsManagerClient> {
  // As for S3 (src/lake/s3-store.ts): the SDK's Node 20 deprecation warning is for the maintainers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { SecretsManagerClient } = await sdk();
  return new SecretsManagerClient({
    region: settings.region ?? (settings.endpointUrl ? 'us-east-1' : undefined),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    maxAttempts: 5,
  });
}

/** What was last read: the AWSCURRENT version id (undefined: the secret has no value yet) and its content. */
interface Snapshot {
  versionId: string | undefined;
  doc: TokenDocument;
}

/** A write that keeps finding other writers: give up after this many rounds rather than loop. */
const MAX_WRITE_ROUNDS = 6;

/**
 * Every connected account in one Secrets Manager secret (see token-secret-format.ts for its value). Reads
 * are GetSecretValue of AWSCURRENT. Writes are PutSecretValue, which makes the new version AWSCURRENT and
 * keeps the one before as AWSPREVIOUS. Secrets Manager has no compare-and-swap, so a write is guarded:
 * right before it, DescribeSecret says whether AWSCURRENT is still the version this store read; if not, the
 * newer value is read and this store's one change (one account set or removed) is applied to it instead.
 * Right after it, DescribeSecret must show the version before ours as the one we built on: if another
 * writer slipped in between, its value (now AWSPREVIOUS) gets our change applied and is written again. So
 * neither writer's rotation is lost. ClientRequestToken is derived from the base version and the new value:
 * an SDK retry of a write that landed is a no-op, never a second version.
 */
export class SecretsManagerTokenStore implements TokenStore {
  readonly location: string;
  private client?: Promise<SecretsManagerClient>;
  private last?: Snapshot;
  /**
   * Access tokens this process obtained (the secret does not keep them): handed back with the account while
   * its refresh token is unchanged, so one run does not refresh twice (say, right after seeding).
   */
  private readonly accessTokens = new Map<
    string,
    Pick<StoredAccount, 'refresh_token' | 'access_token' | 'access_token_expires_at'>
  >();

  constructor(
    private readonly settings: TokenSecretSettings,
    client?: SecretsManagerClient,
  ) {
    this.location = `the Secrets Manager secret ${settings.secretId}`;
    if (client) this.client = Promise.resolve(client);
  }

  private sm(): Promise<SecretsManagerClient> {
    this.client ??= createSecretsManagerClient(this.settings);
    return this.client;
  }

  async list(): Promise<StoredAccount[]> {
    const { doc } = await this.load();
    return Object.keys(doc.accounts)
      .sort()
      .map((id) => this.withAccessToken(doc.accounts[id]!));
  }

  async read(userId: string): Promise<StoredAccount | undefined> {
    const account = (await this.load()).doc.accounts[userId];
    return account && this.withAccessToken(account);
  }

  private withAccessToken(account: StoredAccount): StoredAccount {
    const known = this.accessTokens.get(account.user_id);
    if (!known || known.refresh_token !== account.refresh_token || account.access_token) return account;
    return {
      ...account,
      access_token: known.access_token,
      access_token_expires_at: known.access_token_expires_at,
    };
  }

  async seed(): Promise<string | undefined> {
    return (await this.load()).doc.seed;
  }

  async save(account: StoredAccount): Promise<void> {
    await this.write({ set: account });
    const { refresh_token, access_token, access_token_expires_at } = account;
    this.accessTokens.set(account.user_id, { refresh_token, access_token, access_token_expires_at });
  }

  async remove(userId: string): Promise<boolean> {
    this.accessTokens.delete(userId);
    return this.write({ remove: userId });
  }

  /** The current value (GetSecretValue of AWSCURRENT), remembered as the base of the next write. */
  private async load(versionId?: string): Promise<Snapshot> {
    const { GetSecretValueCommand } = await sdk();
    const client = await this.sm();
    let out;
    try {
      out = await client.send(
        new GetSecretValueCommand({
          SecretId: this.settings.secretId,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
    } catch (err) {
      // A secret created without a value has no AWSCURRENT yet: that is an empty store, not a missing one.
      if (nameOf(err) === 'ResourceNotFoundException' && versionId === undefined && (await this.exists())) {
        this.last = { versionId: undefined, doc: { accounts: {} } };
        return this.last;
      }
      throw this.failure('GetSecretValue', err);
    }
    if (out.SecretString === undefined && out.SecretBinary !== undefined) {
      throw new ConfigError(
        `${this.describe()} holds a binary value: the pipeline reads a text (SecretString) value. Store the tokens as text (see docs/configuration.md, "Tokens in AWS Secrets Manager").`,
      );
    }
    let doc: TokenDocument;
    try {
      doc = parseTokenSecret(out.SecretString);
    } catch (err) {
      throw new ConfigError(
        `${this.describe()} does not hold Spotify tokens the pipeline can read: ${(err as Error).message}. Put a refresh token in it (the bare token, or {"refresh_token":"..."}), or the value this pipeline wrote (its previous version is kept as AWSPREVIOUS).`,
      );
    }
    this.last = { versionId: out.VersionId, doc };
    return this.last;
  }

  private async exists(): Promise<boolean> {
    try {
      await this.stages();
      return true;
    } catch {
      return false;
    }
  }

  /** DescribeSecret's labels: which versions are AWSCURRENT and AWSPREVIOUS now. */
  private async stages(): Promise<{ current?: string; previous?: string }> {
    const { DescribeSecretCommand } = await sdk();
    const client = await this.sm();
    const out = await client.send(new DescribeSecretCommand({ SecretId: this.settings.secretId }));
    const find = (stage: string) =>
      Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];
    return { current: find('AWSCURRENT'), previous: find('AWSPREVIOUS') };
  }

  private async write(change: AccountChange): Promise<boolean> {
    const { PutSecretValueCommand } = await sdk();
    const client = await this.sm();
    let base = this.last ?? (await this.load());
    let existed: boolean | undefined;
    // Set when AWSCURRENT is our own write that replaced another writer's value: theirs must be written back.
    let mustWrite = false;
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      let now: { current?: string; previous?: string };
      try {
        now = await this.stages();
      } catch (err) {
        throw this.failure('DescribeSecret', err);
      }
      // Someone wrote since we read: our change goes on top of their value, not over it.
      if (now.current !== base.versionId) base = await this.load(now.current);
      existed ??= 'remove' in change ? change.remove in base.doc.accounts : true;
      const next = applyChange(base.doc, change, new Date()) ?? (mustWrite ? base.doc : undefined);
      mustWrite = false;
      if (!next) {
        this.last = base;
        return existed;
      }
      const value = serializeTokenDocument(next);
      let put;
      try {
        put = await client.send(
          new PutSecretValueCommand({
            SecretId: this.settings.secretId,
            SecretString: value,
            ClientRequestToken: requestToken(base.versionId, value),
          }),
        );
      } catch (err) {
        throw this.failure('PutSecretValue', err);
      }
      let after: { current?: string; previous?: string };
      try {
        after = await this.stages();
      } catch (err) {
        throw this.failure('DescribeSecret', err);
      }
      if (after.current === put.VersionId && after.previous === base.versionId) {
        this.last = { versionId: put.VersionId, doc: next };
        return existed;
      }
      if (after.current === put.VersionId && after.previous !== undefined) {
        // Another writer's value landed between our check and our write: ours replaced it. Build on theirs.
        const theirs = await this.load(after.previous);
        base = { versionId: put.VersionId, doc: theirs.doc };
        this.last = base;
        mustWrite = true;
        continue;
      }
      // Someone wrote after us: the next round reads their value and checks that our change is in it.
      base = await this.load();
    }
    throw new PipelineError(
      `${this.describe()} kept changing while this run tried to store its tokens (${MAX_WRITE_ROUNDS} attempts): another process is writing it in a loop. Stop the other writer, then run again.`,
    );
  }

  private describe(): string {
    return `The Secrets Manager secret "${this.settings.secretId}" (SPOTIFY_TOKEN_SECRET_ID)`;
  }

  /** An SDK error as a message that names the problem and the fix (never the secret's value). */
  private failure(operation: string, err: unknown): PipelineError {
    const error = this.explain(operation, err);
    if (operation !== 'PutSecretValue') return error;
    // The token Spotify just rotated may exist nowhere else: say what that means for the next run.
    const message = `${error.message} The new tokens could not be stored; if Spotify rotated the refresh token, the stored one may no longer work: once this is fixed, run \`spotify-pipeline auth login\` if the next run asks for it.`;
    return error instanceof ConfigError
      ? new ConfigError(message, { cause: err })
      : new PipelineError(message, error.exitCode, { cause: err });
  }

  private explain(operation: string, err: unknown): PipelineError {
    const name = nameOf(err) ?? 'Error';
    const detail = (err as Error)?.message ?? String(err);
    const id = this.settings.secretId;
    const where = this.settings.region ? ` in ${this.settings.region}` : '';
    if (name === 'ResourceNotFoundException') {
      return new ConfigError(
        `${this.describe()} does not exist${where}: create it, for example \`aws secretsmanager create-secret --name ${id} --secret-string "<your Spotify refresh token>"\` (or with no value, then run \`spotify-pipeline auth login\`), or fix SPOTIFY_TOKEN_SECRET_ID / AWS_REGION.`,
        { cause: err },
      );
    }
    if (name === 'AccessDeniedException') {
      return new ConfigError(
        `Access to ${this.describe()} was denied (secretsmanager:${operation}): allow the pipeline's role secretsmanager:GetSecretValue, secretsmanager:PutSecretValue and secretsmanager:DescribeSecret on this secret (plus kms:Decrypt and kms:GenerateDataKey on its KMS key if it uses a customer managed key).`,
        { cause: err },
      );
    }
    if (name === 'DecryptionFailure' || name === 'EncryptionFailure') {
      return new ConfigError(
        `${this.describe()} cannot be ${name === 'DecryptionFailure' ? 'decrypted' : 'encrypted'} with its KMS key: allow the pipeline's role kms:Decrypt and kms:GenerateDataKey on that key, and check the key is enabled.`,
        { cause: err },
      );
    }
    if (name === 'CredentialsProviderError' || /credential/i.test(detail)) {
      return new ConfigError(
        'No AWS credentials found for Secrets Manager: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an IAM role is attached.',
        { cause: err },
      );
    }
    if (/region/i.test(detail) && !this.settings.region) {
      return new ConfigError(
        'No AWS region for Secrets Manager: set AWS_REGION, or give SPOTIFY_TOKEN_SECRET_ID as the secret ARN.',
        { cause: err },
      );
    }
    const unreachable = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket|timeout/i.test(detail + name);
    return new PipelineError(
      `Secrets Manager ${operation} on "${id}" failed (${name}): ${unreachable ? 'the endpoint cannot be reached: check the network (or SECRETS_MANAGER_ENDPOINT_URL), then run again.' : 'run again; if it keeps failing, check the secret in the AWS console.'}`,
      1,
      { cause: err },
    );
  }
}

/** 32 hex digits from the version we build on and the new value: the same write always has the same token. */
function requestToken(baseVersion: string | undefined, value: string): string {
  return createHash('sha256')
    .update(`${baseVersion ?? ''}\n${value}`)
    .digest('hex')
    .slice(0, 32);
}

function nameOf(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}
