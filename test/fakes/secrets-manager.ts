/**
 * A fake of AWS Secrets Manager on 127.0.0.1, faithful to its API reference: the awsJson1_1 protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`, `Content-Type: application/x-amz-json-1.1`), errors
 * as HTTP 400 with `{"__type": "<Exception>", "Message": "…"}` (500 for InternalServiceError), timestamps as
 * epoch seconds. Operations: CreateSecret (test setup, and what a user runs first), GetSecretValue (by name,
 * full ARN or partial ARN; VersionId and/or VersionStage), PutSecretValue, DescribeSecret.
 *
 * Versions follow the documented staging rules: the first version gets AWSCURRENT; a PutSecretValue without
 * VersionStages moves AWSCURRENT to the new version and AWSPREVIOUS to the version it left. ClientRequestToken
 * is the new version's id: the same token with the same value is ignored (the existing version is answered),
 * the same token with another value fails with ResourceExistsException (a version is never modified).
 * DescribeSecret's VersionIdsToStages lists only versions that still carry a label, as on AWS.
 *
 * UpdateSecretVersionStage moves one label, as its API reference documents
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html): "If the
 * staging label you are trying to attach to one version is already attached to a different version, then you
 * must include this parameter [RemoveFromVersionId] and specify the version that the label is to be removed
 * from. If the label is attached and you either do not specify this parameter, or the version ID does not
 * match, then the operation fails" (InvalidParameterException here: the page does not name the error);
 * moving AWSCURRENT moves AWSPREVIOUS to the version it left. That makes it a compare-and-swap.
 *
 * Quotas (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html): a secret value
 * of at most 65,536 bytes (a longer SecretString: ValidationException, as for the API model's length
 * constraints); request rates per second, answered 400 ThrottlingException "Rate exceeded" beyond them:
 * 10,000 for GetSecretValue and DescribeSecret together, 50 for PutSecretValue and UpdateSecretVersionStage
 * together (CreateSecret: 50). The rate window follows `clock`, which a test can stop.
 *
 * `enforce(policy)` authorizes every call against an identity policy: the action `secretsmanager:<Operation>`
 * on the secret's full ARN (what IAM matches, whichever SecretId form the call used), AccessDeniedException
 * otherwise. Authorization comes before the lookup, so under a policy scoped to one secret's ARN a secret
 * that does not exist is AccessDeniedException, not ResourceNotFoundException (a name has no ARN to match:
 * "you'll get this error even if the code is asking for a secret that doesn't exist, because IAM
 * authorisation happens first", the maintainer of the Jenkins AWS Secrets Manager plugin,
 * https://github.com/jenkinsci/aws-secrets-manager-credentials-provider-plugin/pull/65; AWS's pages do not
 * say it in so many words).
 *
 * Test controls: hanging the next calls of an operation (no answer), denying an operation on a secret (AccessDeniedException with AWS's "is not authorized to
 * perform" message), injecting errors into the next calls of an operation, a hook that runs just before an
 * operation is served (to let "another writer" land in between), and a log of every call (operation, secret,
 * client request token; never the secret value).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PolicyDocument } from '../../src/aws/iam-policy.js';
import { isAllowed } from '../aws/iam-eval.js';

export type Operation =
  'CreateSecret' | 'GetSecretValue' | 'PutSecretValue' | 'DescribeSecret' | 'UpdateSecretVersionStage';

/** The secret value quota: "65,536 bytes" (reference_limits.html). */
export const MAX_SECRET_BYTES = 65_536;

/** Requests per second per quota group (reference_limits.html, "Secrets Manager quotas"). */
const RATE_GROUPS: Record<Operation, { group: string; perSecond: number }> = {
  GetSecretValue: { group: 'read', perSecond: 10_000 },
  DescribeSecret: { group: 'read', perSecond: 10_000 },
  PutSecretValue: { group: 'write', perSecond: 50 },
  UpdateSecretVersionStage: { group: 'write', perSecond: 50 },
  CreateSecret: { group: 'create', perSecond: 50 },
};

export interface SecretVersion {
  versionId: string;
  secretString?: string;
  /** Base64, as the JSON protocol carries blobs. */
  secretBinary?: string;
  stages: string[];
  createdDate: number;
}

export interface FakeSecret {
  name: string;
  arn: string;
  description?: string;
  createdDate: number;
  lastChangedDate: number;
  lastAccessedDate?: number;
  /** Oldest first. */
  versions: SecretVersion[];
}

export interface RecordedCall {
  operation: string;
  secretId?: string;
  clientRequestToken?: string;
  versionId?: string;
  versionStage?: string;
  /** 200, or the error's status. */
  status: number;
  error?: string;
}

export interface InjectedError {
  status: number;
  type: string;
  message?: string;
  /** 'after': the call is carried out (a PutSecretValue lands), then the client gets the error anyway. */
  when?: 'before' | 'after';
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:user/pipeline-test`;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function now(): number {
  return Date.now() / 1000;
}

/** Secrets Manager appends a hyphen and six random characters to the name in the ARN. */
function arnFor(name: string): string {
  const suffix = randomBytes(6)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 6);
  return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;
}

export class FakeSecretsManager {
  readonly secrets = new Map<string, FakeSecret>();
  readonly calls: RecordedCall[] = [];
  private readonly denied = new Set<string>();
  private policy?: PolicyDocument;
  private readonly injected: { operation: string; left: number; error: InjectedError }[] = [];
  private readonly hooks: { operation: string; run: () => void | Promise<void> }[] = [];
  private readonly hanging: { operation: string; left: number }[] = [];
  /** Requests counted per quota group in the current one-second window. */
  private readonly window = { second: -1, counts: new Map<string, number>() };
  /** Overrides of the documented per-second rates (tests lower them to see throttling). */
  readonly rates = new Map<string, number>();
  /** Milliseconds, for the rate window: a test can stop it to make throttling deterministic. */
  clock: () => number = () => Date.now();
  private server?: Server;
  endpoint = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- test controls ----

  /** Creates a secret directly (as the user would with the console or CLI). */
  create(name: string, secretString?: string): FakeSecret {
    return this.createSecret({
      Name: name,
      ...(secretString !== undefined ? { SecretString: secretString } : {}),
    });
  }

  /** A new version written by "someone else" (another writer, or the user in the console). */
  put(nameOrArn: string, secretString: string): SecretVersion {
    const secret = this.find(nameOrArn);
    return this.addVersion(secret, randomUUID(), { SecretString: secretString });
  }

  /** The version holding `stage` (AWSCURRENT by default). */
  version(nameOrArn: string, stage = 'AWSCURRENT'): SecretVersion | undefined {
    return this.find(nameOrArn).versions.find((v) => v.stages.includes(stage));
  }

  /** From now on calls are authorized against `policy` (undefined: everything is allowed). */
  enforce(policy: PolicyDocument | undefined): void {
    this.policy = policy;
  }

  /** AccessDeniedException for `operation` ('*' for all) on this secret. */
  deny(nameOrArn: string, operation: Operation | '*'): void {
    this.denied.add(`${operation} ${nameOrArn}`);
  }

  allowAll(): void {
    this.denied.clear();
  }

  /** The next `times` calls of `operation` ('*' for any) fail with this error. */
  fail(operation: Operation | '*', error: InjectedError, times = 1): void {
    this.injected.push({ operation, left: times, error });
  }

  /** The next `times` calls of `operation` are never answered: the client must time out (or `close()`). */
  hang(operation: Operation | '*', times = 1): void {
    this.hanging.push({ operation, left: times });
  }

  /** Runs `run` once, just before the next call of `operation` is served. */
  before(operation: Operation, run: () => void | Promise<void>): void {
    this.hooks.push({ operation, run });
  }

  callsOf(operation: Operation): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  // ---- protocol ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : target;
    const call: RecordedCall = { operation, status: 200 };
    this.calls.push(call);
    try {
      if (req.method !== 'POST' || req.url !== '/' || !target.startsWith('secretsmanager.')) {
        throw new ApiError('UnknownOperationException', 'The action or operation requested is invalid.');
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new ApiError('SerializationException', 'Expected application/x-amz-json-1.1.');
      }
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
        throw new ApiError('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new ApiError('SerializationException', 'The request body is not valid JSON.');
      }
      call.secretId = (input.SecretId ?? input.Name) as string | undefined;
      call.clientRequestToken = input.ClientRequestToken as string | undefined;
      call.versionId = input.VersionId as string | undefined;
      call.versionStage = input.VersionStage as string | undefined;

      const hang = this.hanging.find((h) => h.left > 0 && (h.operation === operation || h.operation === '*'));
      if (hang) {
        hang.left -= 1;
        return; // no answer: the socket stays open until the client gives up
      }
      const hook = this.hooks.findIndex((h) => h.operation === operation);
      if (hook >= 0) await this.hooks.splice(hook, 1)[0]!.run();
      this.throttle(operation);
      const injected = this.injected.find(
        (i) => i.left > 0 && (i.operation === operation || i.operation === '*'),
      );
      if (injected) injected.left -= 1;
      const fault = injected
        ? new ApiError(
            injected.error.type,
            injected.error.message ?? injected.error.type,
            injected.error.status,
          )
        : undefined;
      if (fault && injected!.error.when !== 'after') throw fault;
      const output = this.dispatch(operation, input);
      if (fault) throw fault;
      this.send(res, 200, output);
    } catch (err) {
      const e =
        err instanceof ApiError
          ? err
          : new ApiError('InternalServiceError', 'An error occurred on the server side.', 500);
      call.status = e.status;
      call.error = e.type;
      this.send(res, e.status, { __type: e.type, Message: e.message }, e.type);
    }
  }

  /** ThrottlingException beyond the group's documented requests per second. */
  private throttle(operation: string): void {
    const quota = RATE_GROUPS[operation as Operation];
    if (!quota) return;
    const second = Math.floor(this.clock() / 1000);
    if (second !== this.window.second) {
      this.window.second = second;
      this.window.counts.clear();
    }
    const used = (this.window.counts.get(quota.group) ?? 0) + 1;
    this.window.counts.set(quota.group, used);
    if (used > (this.rates.get(quota.group) ?? quota.perSecond))
      throw new ApiError('ThrottlingException', 'Rate exceeded');
  }

  private send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateSecret':
        return this.opCreateSecret(input);
      case 'GetSecretValue':
        return this.opGetSecretValue(input);
      case 'PutSecretValue':
        return this.opPutSecretValue(input);
      case 'DescribeSecret':
        return this.opDescribeSecret(input);
      case 'UpdateSecretVersionStage':
        return this.opUpdateSecretVersionStage(input);
      default:
        throw new ApiError('UnknownOperationException', `The fake does not implement ${operation}.`);
    }
  }

  private authorize(operation: Operation, secret: FakeSecret | undefined, secretId: string): void {
    const ids = secret ? [secret.name, secret.arn, secretId] : [secretId];
    const byPolicy =
      this.policy !== undefined &&
      !isAllowed(this.policy, {
        action: `secretsmanager:${operation}`,
        resource:
          secret?.arn ??
          (secretId.startsWith('arn:')
            ? secretId
            : `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${secretId}`),
      });
    for (const id of ids) {
      if (byPolicy || this.denied.has(`${operation} ${id}`) || this.denied.has(`* ${id}`)) {
        throw new ApiError(
          'AccessDeniedException',
          `User: ${PRINCIPAL} is not authorized to perform: secretsmanager:${operation} on resource: ${secretId} because no identity-based policy allows the secretsmanager:${operation} action`,
        );
      }
    }
  }

  private lookup(secretId: string): FakeSecret | undefined {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const s of this.secrets.values()) {
      // A full ARN, or a partial one without the random suffix.
      if (s.arn === secretId || s.arn.slice(0, -7) === secretId) return s;
    }
    return undefined;
  }

  private find(secretId: string): FakeSecret {
    const secret = this.lookup(secretId);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private requireId(input: Record<string, unknown>): string {
    const id = input.SecretId;
    if (typeof id !== 'string' || id.length < 1 || id.length > 2048) {
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048",
      );
    }
    return id;
  }

  private opCreateSecret(input: Record<string, unknown>): unknown {
    const name = input.Name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw new ApiError(
        'InvalidParameterException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    this.authorize('CreateSecret', undefined, name);
    const secret = this.createSecret(input);
    const version = secret.versions[0];
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.versionId } : {}) };
  }

  private createSecret(input: Record<string, unknown>): FakeSecret {
    const name = input.Name as string;
    if (this.secrets.has(name)) {
      throw new ApiError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const t = now();
    const secret: FakeSecret = {
      name,
      arn: arnFor(name),
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      createdDate: t,
      lastChangedDate: t,
      versions: [],
    };
    if (input.SecretString !== undefined || input.SecretBinary !== undefined) {
      this.addVersion(secret, (input.ClientRequestToken as string | undefined) ?? randomUUID(), input);
    }
    this.secrets.set(name, secret);
    return secret;
  }

  private opGetSecretValue(input: Record<string, unknown>): unknown {
    const id = this.requireId(input);
    const secret = this.lookup(id);
    this.authorize('GetSecretValue', secret, id);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const versionId = input.VersionId as string | undefined;
    const stage = input.VersionStage as string | undefined;
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.find((v) => v.versionId === versionId);
      if (!version) {
        throw new ApiError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
        );
      }
      if (stage !== undefined && !version.stages.includes(stage)) {
        throw new ApiError(
          'InvalidRequestException',
          `The version ${versionId} does not carry the staging label ${stage}.`,
        );
      }
    } else {
      const label = stage ?? 'AWSCURRENT';
      version = secret.versions.find((v) => v.stages.includes(label));
      if (!version) {
        throw new ApiError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${label}`,
        );
      }
    }
    secret.lastAccessedDate = Math.floor(now() / 86400) * 86400; // AWS keeps the date only
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  private opPutSecretValue(input: Record<string, unknown>): unknown {
    const id = this.requireId(input);
    const secret = this.lookup(id);
    this.authorize('PutSecretValue', secret, id);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (input.SecretString === undefined && input.SecretBinary === undefined) {
      throw new ApiError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
    }
    const token = (input.ClientRequestToken as string | undefined) ?? randomUUID();
    if (token.length < 32 || token.length > 64) {
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
      );
    }
    const version = this.addVersion(secret, token, input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  /** The documented staging and idempotency rules, shared by CreateSecret and PutSecretValue. */
  private addVersion(secret: FakeSecret, token: string, input: Record<string, unknown>): SecretVersion {
    const secretString = input.SecretString as string | undefined;
    const secretBinary = input.SecretBinary as string | undefined;
    const size =
      secretString !== undefined
        ? Buffer.byteLength(secretString, 'utf8')
        : Buffer.from(secretBinary ?? '', 'base64').length;
    if (size > MAX_SECRET_BYTES) {
      throw new ApiError(
        'ValidationException',
        `1 validation error detected: Value at '${secretString !== undefined ? 'secretString' : 'secretBinary'}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SECRET_BYTES}`,
      );
    }
    const existing = secret.versions.find((v) => v.versionId === token);
    if (existing) {
      if (existing.secretString === secretString && existing.secretBinary === secretBinary) return existing;
      throw new ApiError(
        'ResourceExistsException',
        `You can't modify an existing version, you can only create a new version. The version ${token} already exists with a different value.`,
      );
    }
    const stages = (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT'];
    const version: SecretVersion = {
      versionId: token,
      ...(secretString !== undefined ? { secretString } : {}),
      ...(secretBinary !== undefined ? { secretBinary } : {}),
      stages: [],
      createdDate: now(),
    };
    for (const stage of stages) {
      const holder = secret.versions.find((v) => v.stages.includes(stage));
      if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
      if (stage === 'AWSCURRENT' && holder) {
        for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
        holder.stages.push('AWSPREVIOUS');
      }
      version.stages.push(stage);
    }
    if (secret.versions.length === 0 && !version.stages.includes('AWSCURRENT'))
      version.stages.push('AWSCURRENT');
    secret.versions.push(version);
    secret.lastChangedDate = now();
    return version;
  }

  private opUpdateSecretVersionStage(input: Record<string, unknown>): unknown {
    const id = this.requireId(input);
    const secret = this.lookup(id);
    this.authorize('UpdateSecretVersionStage', secret, id);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const stage = input.VersionStage;
    if (typeof stage !== 'string' || stage.length < 1 || stage.length > 256) {
      throw new ApiError(
        'ValidationException',
        "1 validation error detected: Value at 'versionStage' failed to satisfy constraint: Member must have length between 1 and 256",
      );
    }
    const moveTo = input.MoveToVersionId as string | undefined;
    const removeFrom = input.RemoveFromVersionId as string | undefined;
    const target = moveTo === undefined ? undefined : secret.versions.find((v) => v.versionId === moveTo);
    if (moveTo !== undefined && !target) {
      throw new ApiError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for VersionId: ${moveTo}`,
      );
    }
    const holder = secret.versions.find((v) => v.stages.includes(stage));
    if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
      throw new ApiError(
        'InvalidParameterException',
        `The staging label ${stage} is not attached to version ${removeFrom}${holder ? `: it is attached to version ${holder.versionId}` : ''}.`,
      );
    }
    if (target && holder && holder !== target && removeFrom === undefined) {
      throw new ApiError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (holder && holder !== target) {
      holder.stages = holder.stages.filter((s) => s !== stage);
      if (stage === 'AWSCURRENT' && target) {
        for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
        holder.stages.push('AWSPREVIOUS');
      }
    }
    if (target && !target.stages.includes(stage)) {
      if (stage === 'AWSCURRENT') target.stages = target.stages.filter((s) => s !== 'AWSPREVIOUS');
      target.stages.push(stage);
    }
    secret.lastChangedDate = now();
    return { ARN: secret.arn, Name: secret.name };
  }

  private opDescribeSecret(input: Record<string, unknown>): unknown {
    const id = this.requireId(input);
    const secret = this.lookup(id);
    this.authorize('DescribeSecret', secret, id);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const versionIdsToStages: Record<string, string[]> = {};
    for (const v of secret.versions) if (v.stages.length > 0) versionIdsToStages[v.versionId] = [...v.stages];
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      RotationEnabled: false,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      ...(secret.lastAccessedDate !== undefined ? { LastAccessedDate: secret.lastAccessedDate } : {}),
      VersionIdsToStages: versionIdsToStages,
    };
  }
}

/** Environment for the CLI or the SDK to reach the fake (it accepts any SigV4-signed request). */
export function secretsManagerEnv(endpoint: string): Record<string, string> {
  return {
    SECRETS_MANAGER_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'FAKEKEY',
    AWS_SECRET_ACCESS_KEY: 'FAKESECRET',
  };
}

/** A short fingerprint, for tests that must show which token a version holds without printing it. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
