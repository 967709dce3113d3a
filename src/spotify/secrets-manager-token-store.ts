import { createHash } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createSecretsManagerClient,
  explainSecretsManagerError,
  sdk,
} from '../aws/secrets-manager-client.js';
import { nameOf } from '../aws/s3-client.js';
import type { TokenSecretSettings } from '../config.js';
import { withRetries } from '../net/retry.js';
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
    let base = this.last ?? (await this.load());
    let existed: boolean | undefined;
    try {
      return await withRetries(
        async () => {
          existed ??= 'remove' in change ? change.remove in base.doc.accounts : true;
          await this.writeOnce(change, base);
          return existed;
        },
        {
          // Each round re-reads what the other writer stored: no wait is needed to see it.
          policy: { maxRetries: MAX_WRITE_ROUNDS - 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 'none' },
          isTransient: (err) => err instanceof Superseded,
          onRetry: async ({ error }) => {
            base = await this.load((error as Superseded).current);
            existed = undefined;
          },
        },
      );
    } catch (err) {
      if (!(err instanceof Superseded)) throw err;
      throw new PipelineError(
        `${this.describe()} kept changing while this run tried to store its tokens (${MAX_WRITE_ROUNDS} attempts): another process is writing it in a loop. Stop the other writer, then run again.`,
      );
    }
  }

  /**
   * One compare-and-swap of the change on `base`; throws Superseded when another writer's version is current,
   * for the change to go on top of theirs.
   */
  private async writeOnce(change: AccountChange, base: Snapshot): Promise<void> {
    const { PutSecretValueCommand, UpdateSecretVersionStageCommand } = await sdk();
    const client = await this.sm();
    const next = applyChange(base.doc, change, new Date());
    if (!next) {
      // Nothing to change in what we read: done only if what we read is still current.
      const current = await this.currentVersion();
      if (current !== base.versionId) throw new Superseded(current);
      this.last = base;
      return;
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
      return;
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
      return;
    }
    // AWSCURRENT did not move from our base: the swap failed for another reason than a concurrent writer.
    if (current === base.versionId) throw this.failure('UpdateSecretVersionStage', swapError);
    throw new Superseded(current);
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
    const error = explainSecretsManagerError(this.settings, this.describe(), operation, err);
    if (operation !== 'PutSecretValue' && operation !== 'UpdateSecretVersionStage') return error;
    // The token Spotify just rotated may exist nowhere else: say what that means for the next run.
    const message = `${error.message} The new tokens could not be stored; if Spotify rotated the refresh token, the stored one may no longer work: once this is fixed, run \`spotify-pipeline auth login\` if the next run asks for it.`;
    return error instanceof ConfigError
      ? new ConfigError(message, { cause: err })
      : new PipelineError(message, error.exitCode, { cause: err, transient: error.transient });
  }
}

/** 32 hex digits from the version we build on and the new value: the same write always has the same token. */
function requestToken(baseVersion: string | undefined, value: string): string {
  return createHash('sha256')
    .update(`${baseVersion ?? ''}\n${value}`)
    .digest('hex')
    .slice(0, 32);
}

/** Another writer's version became current while this one wrote: the change is redone on top of it. */
class Superseded {
  constructor(readonly current: string | undefined) {}
}
