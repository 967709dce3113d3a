import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TokenSecretSettings } from '../config.js';
import { ConfigError, PipelineError } from '../errors.js';
import { nameOf } from './s3-client.js';

/** The AWS SDK is heavy: it is imported only when the tokens live in Secrets Manager. */
export async function sdk() {
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
  // As for S3 (s3-client.ts): the SDK's Node 20 deprecation warning is for the maintainers.
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
 * An SDK error of a call on the tokens' secret as a message that names the problem and the fix (never the
 * secret's value). `describe` names the secret as the token store does in its other messages.
 */
export function explainSecretsManagerError(
  settings: TokenSecretSettings,
  describe: string,
  operation: string,
  err: unknown,
): PipelineError {
  const name = nameOf(err) ?? 'Error';
  const detail = (err as Error)?.message ?? String(err);
  const id = settings.secretId;
  const where = settings.region ? ` in ${settings.region}` : '';
  if (name === 'ResourceNotFoundException') {
    return new ConfigError(
      `${describe} does not exist${where}: create it, for example \`aws secretsmanager create-secret --name ${id} --secret-string "<your Spotify refresh token>"\` (or with no value, then run \`spotify-pipeline auth login\`), or fix SPOTIFY_TOKEN_SECRET_ID / AWS_REGION.`,
      { cause: err },
    );
  }
  if (name === 'AccessDeniedException') {
    return new ConfigError(
      `Access to ${describe} was denied (secretsmanager:${operation}): allow the pipeline's role secretsmanager:GetSecretValue, secretsmanager:DescribeSecret, secretsmanager:PutSecretValue and secretsmanager:UpdateSecretVersionStage on this secret, as \`spotify-pipeline iam policy\` prints (plus kms:Decrypt and kms:GenerateDataKey on its KMS key if it uses a customer managed key). A role allowed only this secret is also denied when the secret does not exist: check SPOTIFY_TOKEN_SECRET_ID and AWS_REGION, or create it (\`aws secretsmanager create-secret --name ${id}\`).`,
      { cause: err },
    );
  }
  if (name === 'DecryptionFailure' || name === 'EncryptionFailure') {
    return new ConfigError(
      `${describe} cannot be ${name === 'DecryptionFailure' ? 'decrypted' : 'encrypted'} with its KMS key: allow the pipeline's role kms:Decrypt and kms:GenerateDataKey on that key, and check the key is enabled.`,
      { cause: err },
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(detail)) {
    return new ConfigError(
      'No AWS credentials found for Secrets Manager: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an IAM role is attached.',
      { cause: err },
    );
  }
  if (/region/i.test(detail) && !settings.region) {
    return new ConfigError(
      'No AWS region for Secrets Manager: set AWS_REGION, or give SPOTIFY_TOKEN_SECRET_ID as the secret ARN.',
      { cause: err },
    );
  }
  const unreachable = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket|timeout/i.test(detail + name);
  return new PipelineError(
    `Secrets Manager ${operation} on "${id}" failed (${name}): ${unreachable ? 'the endpoint cannot be reached: check the network (or SECRETS_MANAGER_ENDPOINT_URL), then run again.' : 'run again; if it keeps failing, check the secret in the AWS console.'}`,
    1,
    { cause: err, transient: unreachable },
  );
}
