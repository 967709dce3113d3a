import { ExitCode, PipelineError, type PipelineErrorOptions } from '../errors.js';
import { RETRYABLE_STATUSES } from './retry-policy.js';

/** An error Snowflake answered with: keeps its code and SQL state; the message says the fix. */
export class SnowflakeError extends PipelineError {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly sqlState: string | undefined,
    exitCode: 1 | 2,
    options?: PipelineErrorOptions,
  ) {
    super(message, exitCode, options);
    this.name = 'SnowflakeError';
  }
}

export interface ErrorContext {
  user?: string;
  role?: string;
  warehouse?: string;
  /** What we were doing, e.g. "statement 3 (table SPOTIFY.LISTENING.SPOTIFY_LISTENING_HISTORY)". */
  doing: string;
  /** The grant this statement needs (see privileges.ts), named when the role lacks a privilege. */
  needs?: string;
  /** SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS, named when a statement timed out. */
  statementTimeoutSeconds?: number;
  /**
   * Which API answered. The Snowpipe REST API answers 404 (and 403) when the pipe is unknown to the user's
   * DEFAULT_ROLE ("This error code can also be returned if the role used when calling the endpoint does not have
   * sufficient privileges", Snowpipe REST API reference): that is not a wrong account.
   */
  api?: 'sql' | 'snowpipe';
}

/** The trust policy is not (yet) attached to SNOWFLAKE_AWS_ROLE_ARN: what to do, and the command to run after. */
const TRUST_POLICY_FIX =
  "Snowflake cannot assume SNOWFLAKE_AWS_ROLE_ARN yet: attach the trust policy `spotify-pipeline snowflake setup` printed (Snowflake's IAM user ARN and external id) and the permissions policy to that role, wait a minute for IAM to apply it, then run `spotify-pipeline snowflake setup --load-existing` again.";

/** Snowflake's answer when the storage integration's role cannot be assumed (no or wrong trust policy). */
export const ASSUME_ROLE_ERROR = /Error assuming AWS_ROLE|not authorized to perform: sts:AssumeRole/i;

/** The role was assumed but S3 refused the read: the permissions policy is missing or names other prefixes. */
export const STAGE_ACCESS_DENIED = /Failure using stage area[\s\S]*Access Denied/i;

/** Turns Snowflake's answer into a message with its code and the fix; configuration problems exit 2. */
export function explainSnowflakeError(
  answer: { code?: string; sqlState?: string; message?: string; httpStatus?: number },
  ctx: ErrorContext,
): SnowflakeError {
  const code = answer.code;
  const text = (answer.message ?? '').trim();
  const tag = `Snowflake error ${code ?? `HTTP ${answer.httpStatus ?? '?'}`}${answer.sqlState ? ` (${answer.sqlState})` : ''}`;
  let fix: string;
  let exit: 1 | 2 = ExitCode.failed;
  const role = ctx.role ?? '<role>';
  if (answer.httpStatus === 408 || code === '000630') {
    // The SQL API answers 408 when the statement ran past its timeout: Snowflake has cancelled it.
    const t = ctx.statementTimeoutSeconds;
    fix = `the statement ran longer than its timeout${t ? ` (SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS=${t})` : ''} and Snowflake cancelled it; nothing of it was kept. Raise SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS${t ? ` (for example to ${Math.min(t * 4, 604_800)})` : ''} in your environment or .env, or give it a bigger warehouse (SNOWFLAKE_WAREHOUSE); a lower STATEMENT_TIMEOUT_IN_SECONDS on the warehouse also caps it (SHOW PARAMETERS LIKE 'STATEMENT_TIMEOUT_IN_SECONDS' IN WAREHOUSE ${ctx.warehouse ?? '<warehouse>'}).`;
  } else if (code === '390144' || /JWT token is invalid/i.test(text) || answer.httpStatus === 401) {
    exit = ExitCode.usage;
    fix = `the key-pair login was refused: register the public key of SNOWFLAKE_PRIVATE_KEY_PATH for ${ctx.user ?? 'SNOWFLAKE_USER'} (ALTER USER ${ctx.user ?? '<user>'} SET RSA_PUBLIC_KEY='<key body>'; DESC USER shows RSA_PUBLIC_KEY_FP), and check SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER.`;
  } else if (/role .*(not granted|does not exist)/i.test(text) || code === '390189') {
    exit = ExitCode.usage;
    fix = `SNOWFLAKE_ROLE ${ctx.role ?? ''} is not usable by this user: GRANT ROLE ${ctx.role ?? '<role>'} TO USER ${ctx.user ?? '<user>'}, or fix SNOWFLAKE_ROLE.`;
  } else if (ASSUME_ROLE_ERROR.test(text)) {
    fix = TRUST_POLICY_FIX;
  } else if (STAGE_ACCESS_DENIED.test(text)) {
    fix =
      'S3 refused Snowflake the read: attach the permissions policy `spotify-pipeline snowflake setup` printed (s3:GetObject and s3:GetObjectVersion on the dataset prefixes, s3:ListBucket and s3:GetBucketLocation limited to them) to SNOWFLAKE_AWS_ROLE_ARN, and check the bucket policy and its KMS key, then run `spotify-pipeline snowflake setup --load-existing` again.';
  } else if (code === '000606' || code === '391920' || /no active warehouse/i.test(text)) {
    // 391920 is the SQL API's "Unable to run the command. You must specify the warehouse to use …".
    exit = ExitCode.usage;
    fix = ctx.warehouse
      ? `the warehouse ${ctx.warehouse} cannot be used: check that it exists and GRANT USAGE ON WAREHOUSE ${ctx.warehouse} TO ROLE ${ctx.role ?? '<role>'}.`
      : 'no warehouse: set SNOWFLAKE_WAREHOUSE to a warehouse the role may use.';
  } else if (/suspended|cannot be resumed/i.test(text) || code === '090073') {
    fix = `the warehouse ${ctx.warehouse ?? ''} is suspended and cannot resume: ALTER WAREHOUSE ${ctx.warehouse ?? '<warehouse>'} RESUME (and SET AUTO_RESUME = TRUE), or raise its resource monitor's quota.`;
  } else if (code === '003001' || /insufficient privileges/i.test(text)) {
    const who = ctx.role ?? 'the default role of the user';
    fix = ctx.needs
      ? `the role ${who} lacks a grant this needs: ${ctx.needs.replaceAll('<role>', role)} Run the GRANT as ACCOUNTADMIN (or the object's owner), or use a role that has it (see \`spotify-pipeline snowflake sql\`, "Roles").`
      : `the role ${who} lacks a privilege: grant it (see \`spotify-pipeline snowflake sql\`, "Roles", for the grants each role needs), or use a role that has it.`;
  } else if (/pipe .*(does not exist|not authorized)/i.test(text)) {
    fix = `the pipe is missing, or the role may not see it: run \`spotify-pipeline snowflake setup\` first${ctx.needs ? `; the role needs ${ctx.needs.replaceAll('<role>', role)}` : ' (or grant the role MONITOR on the pipe)'}.`;
  } else if (code === '002003' || /does not exist or not authorized/i.test(text)) {
    fix = `an object is missing or the role may not see it: run \`spotify-pipeline snowflake setup\`${ctx.needs ? `; the role needs ${ctx.needs.replaceAll('<role>', role)}` : ', or grant the role USAGE on the database and schema'}.`;
  } else if (ctx.api === 'snowpipe' && (answer.httpStatus === 404 || answer.httpStatus === 403)) {
    fix = `the pipe is unknown to the user's DEFAULT_ROLE (the Snowpipe REST API takes no role: it runs as ${ctx.user ?? 'the user'}'s default role, not SNOWFLAKE_ROLE): ALTER USER ${ctx.user ?? '<user>'} SET DEFAULT_ROLE = <the owner role, SNOWFLAKE_ROLE>;${ctx.needs ? ` It needs ${ctx.needs.replaceAll('<role>', '<that role>')}` : ''} Or run \`spotify-pipeline snowflake setup\` if the pipe does not exist yet.`;
  } else if (answer.httpStatus === 403) {
    exit = ExitCode.usage;
    fix =
      'Snowflake refused the request (HTTP 403): a network policy may not allow this address for the user, or SNOWFLAKE_ACCOUNT names another account; check both (and SNOWFLAKE_API_BASE_URL).';
  } else if (code === '390100' || code === '390101' || answer.httpStatus === 404) {
    exit = ExitCode.usage;
    fix =
      'the account does not answer like a Snowflake account: check SNOWFLAKE_ACCOUNT (as in your URL, e.g. myorg-myaccount or xy12345.us-east-2.aws) and SNOWFLAKE_API_BASE_URL.';
  } else {
    fix = 'see the message above; fix it and run again.';
  }
  const shown = text ? `: ${text.split('\n').slice(0, 3).join(' ')}` : '';
  return new SnowflakeError(`${tag} while ${ctx.doing}${shown}\nFix: ${fix}`, code, answer.sqlState, exit, {
    transient: RETRYABLE_STATUSES.has(answer.httpStatus ?? 0),
  });
}

/** A network failure reaching Snowflake (after the retries were spent). */
export function networkError(
  baseUrl: string,
  err: unknown,
  doing: string,
  timeoutMs?: number,
): SnowflakeError {
  const cause = (err as { cause?: { code?: string } })?.cause;
  const timedOut = (err as Error)?.name === 'TimeoutError';
  const code = timedOut
    ? `no answer within ${Math.round((timeoutMs ?? 0) / 1000)} s`
    : (cause?.code ?? (err as NodeJS.ErrnoException)?.code ?? '');
  const dns = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  const fix = dns
    ? `the host of ${baseUrl} does not exist: check SNOWFLAKE_ACCOUNT (as in your Snowflake URL, e.g. myorg-myaccount, xy12345.us-east-2.aws or xy12345.fhplus.us-gov-west-1.aws; in China paste the URL, https://….snowflakecomputing.cn).`
    : `cannot reach ${baseUrl}: check the network (and SNOWFLAKE_API_BASE_URL), then run again.`;
  return new SnowflakeError(
    `Cannot reach Snowflake while ${doing} (${code || (err as Error).message})\nFix: ${fix}`,
    undefined,
    undefined,
    dns ? ExitCode.usage : ExitCode.failed,
    { cause: err, transient: !dns },
  );
}
