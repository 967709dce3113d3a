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

/**
 * SDK v3 clients have no request timeout by default (0: wait for ever), so one stalled connection would hold a
 * run, and the lake lease it renews on another client, indefinitely. Each call is small: 15 s is generous,
 * and the SDK retries a timed-out attempt (maxAttempts).
 */
export const SECRETS_MANAGER_REQUEST_TIMEOUT_MS = 15_000;

export async function createSecretsManagerClient(
  settings: TokenSecretSettings,
  options: { requestTimeoutMs?: number } = {},
): Promise<SecretsManagerClient> {
  // As for S3 (src/lake/s3-store.ts): the SDK's Node 20 deprecation warning is for the maintainers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { SecretsManagerClient } = await sdk();
  const requestTimeout = options.requestTimeoutMs ?? SECRETS_MANAGER_REQUEST_TIMEOUT_MS;
  return new SecretsManagerClient({
    region: settings.region ?? (settings.endpointUrl ? 'us-east-1' : undefined),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    maxAttempts: 5,
    requestHandler: {
      requestTimeout,
      connectionTimeout: Math.min(5_000, requestTimeout),
      throwOnRequestTimeout: true,
    },
  });
}

/**
 * The label a new version is written under before it is made current. Secrets Manager moves a label to the
 * version a PutSecretValue names it on, so this one never piles up (a secret holds at most 20 labels).
 */
export const PENDING_STAGE = 'spotify-pipeline-pending';

/** The secret value quota: "65,536 bytes" (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html). */
export const MAX_SECRET_BYTES = 65_536;

/** What was last read: the AWSCURRENT version id (undefined: the secret has no value yet) and its content. */
interface Snapshot {
  versionId: string | undefined;
  doc: TokenDocument;
}

/** A write that keeps finding other writers: give up after this many rounds rather than loop. */
const MAX_WRITE_ROUNDS = 6;

/**
 * Every connected account in one Secrets Manager secret (see token-secret-format.ts for its value). Reads
 * are GetSecretValue of AWSCURRENT. A write is a compare-and-swap on the AWSCURRENT label, which Secrets
 * Manager offers through UpdateSecretVersionStage
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html):
 * PutSecretValue stores the new value under PENDING_STAGE (not current yet), then UpdateSecretVersionStage
 * moves AWSCURRENT to it with RemoveFromVersionId = the version the change was built on; "If the label is
 * attached and you either do not specify this parameter, or the version ID does not match, then the
 * operation fails". When it fails because another writer moved AWSCURRENT, the newer value is read, this
 * store's one change (one account set or removed) is applied to it, and the swap is tried again. So no
 * writer's rotation is ever lost. ClientRequestToken is derived from the base version and the new value: an
 * SDK retry of a write that landed is a no-op, never a second version.
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
      await this.currentVersion();
      return true;
    } catch {
      return false;
    }
  }

  /** Which version carries AWSCURRENT now (DescribeSecret). */
  private async currentVersion(): Promise<string | undefined> {
    const { DescribeSecretCommand } = await sdk();
    const client = await this.sm();
    let out;
    try {
      out = await client.send(new DescribeSecretCommand({ SecretId: this.settings.secretId }));
    } catch (err) {
      throw this.failure('DescribeSecret', err);
    }
    return Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes('AWSCURRENT'),
    )?.[0];
  }

  private async write(change: AccountChange): Promise<boolean> {
    const { PutSecretValueCommand, UpdateSecretVersionStageCommand } = await sdk();
    const client = await this.sm();
    let base = this.last ?? (await this.load());
    let existed: boolean | undefined;
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      existed ??= 'remove' in change ? change.remove in base.doc.accounts : true;
      const next = applyChange(base.doc, change, new Date());
      if (!next) {
        // Nothing to change in what we read: true only if what we read is still current.
        const current = await this.currentVersion();
        if (current === base.versionId) {
          this.last = base;
          return existed;
        }
        base = await this.load(current);
        existed = undefined;
        continue;
      }
      const value = serializeTokenDocument(next);
      this.checkSize(value);
      let put;
      try {
        put = await client.send(
          new PutSecretValueCommand({
            SecretId: this.settings.secretId,
            SecretString: value,
            ClientRequestToken: requestToken(base.versionId, value),
            VersionStages: [PENDING_STAGE],
          }),
        );
      } catch (err) {
        throw this.failure('PutSecretValue', err);
      }
      const mine = put.VersionId!;
      // The first version of a secret is made AWSCURRENT by Secrets Manager itself, whatever the stages.
      if (base.versionId === undefined && put.VersionStages?.includes('AWSCURRENT')) {
        this.last = { versionId: mine, doc: next };
        return existed;
      }
      let swapError: unknown;
      try {
        await client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: this.settings.secretId,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: mine,
            ...(base.versionId !== undefined ? { RemoveFromVersionId: base.versionId } : {}),
          }),
        );
      } catch (err) {
        swapError = err;
      }
      // Whatever the answer said, the labels say what happened (a retried swap that landed answers an error).
      const current = swapError === undefined ? mine : await this.currentVersion();
      if (current === mine) {
        this.last = { versionId: mine, doc: next };
        return existed;
      }
      // AWSCURRENT did not move from our base: the swap failed for another reason than a concurrent writer.
      if (current === base.versionId) throw this.failure('UpdateSecretVersionStage', swapError);
      // Another writer's version is current: our change goes on top of theirs.
      base = await this.load(current);
    }
    throw new PipelineError(
      `${this.describe()} kept changing while this run tried to store its tokens (${MAX_WRITE_ROUNDS} attempts): another process is writing it in a loop. Stop the other writer, then run again.`,
    );
  }

  /** Secrets Manager refuses a value over its quota: say why, and what to do, before trying. */
  private checkSize(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes <= MAX_SECRET_BYTES) return;
    throw new ConfigError(
      `${this.describe()} would hold ${bytes} bytes, over Secrets Manager's limit of ${MAX_SECRET_BYTES} bytes per secret value: too many accounts for one secret. Remove accounts no longer collected (\`spotify-pipeline auth logout <id>\`), or keep some accounts' tokens in another secret or in STATE_URL. The new tokens were not stored: if the next run asks for it, run \`spotify-pipeline auth login\`.`,
    );
  }

  private describe(): string {
    return `The Secrets Manager secret "${this.settings.secretId}" (SPOTIFY_TOKEN_SECRET_ID)`;
  }

  /** An SDK error as a message that names the problem and the fix (never the secret's value). */
  private failure(operation: string, err: unknown): PipelineError {
    const error = this.explain(operation, err);
    if (operation !== 'PutSecretValue' && operation !== 'UpdateSecretVersionStage') return error;
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
        `Access to ${this.describe()} was denied (secretsmanager:${operation}): allow the pipeline's role secretsmanager:GetSecretValue, secretsmanager:DescribeSecret, secretsmanager:PutSecretValue and secretsmanager:UpdateSecretVersionStage on this secret, as \`spotify-pipeline iam policy\` prints (plus kms:Decrypt and kms:GenerateDataKey on its KMS key if it uses a customer managed key). A role allowed only this secret is also denied when the secret does not exist: check SPOTIFY_TOKEN_SECRET_ID and AWS_REGION, or create it (\`aws secretsmanager create-secret --name ${id}\`).`,
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
