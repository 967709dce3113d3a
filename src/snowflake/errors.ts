import { ExitCode, PipelineError } from '../errors.js';

/** An error Snowflake answered with: keeps its code and SQL state; the message says the fix. */
export class SnowflakeError extends PipelineError {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly sqlState: string | undefined,
    exitCode: 1 | 2,
    options?: { cause?: unknown },
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
}

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
  if (code === '390144' || /JWT token is invalid/i.test(text) || answer.httpStatus === 401) {
    exit = ExitCode.usage;
    fix = `the key-pair login was refused: register the public key of SNOWFLAKE_PRIVATE_KEY_PATH for ${ctx.user ?? 'SNOWFLAKE_USER'} (ALTER USER ${ctx.user ?? '<user>'} SET RSA_PUBLIC_KEY='<key body>'; DESC USER shows RSA_PUBLIC_KEY_FP), and check SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER.`;
  } else if (/role .*(not granted|does not exist)/i.test(text) || code === '390189') {
    exit = ExitCode.usage;
    fix = `SNOWFLAKE_ROLE ${ctx.role ?? ''} is not usable by this user: GRANT ROLE ${ctx.role ?? '<role>'} TO USER ${ctx.user ?? '<user>'}, or fix SNOWFLAKE_ROLE.`;
  } else if (code === '000606' || /no active warehouse/i.test(text)) {
    exit = ExitCode.usage;
    fix = ctx.warehouse
      ? `the warehouse ${ctx.warehouse} cannot be used: check that it exists and GRANT USAGE ON WAREHOUSE ${ctx.warehouse} TO ROLE ${ctx.role ?? '<role>'}.`
      : 'no warehouse: set SNOWFLAKE_WAREHOUSE to a warehouse the role may use.';
  } else if (/suspended|cannot be resumed/i.test(text) || code === '090073') {
    fix = `the warehouse ${ctx.warehouse ?? ''} is suspended and cannot resume: ALTER WAREHOUSE ${ctx.warehouse ?? '<warehouse>'} RESUME (and SET AUTO_RESUME = TRUE), or raise its resource monitor's quota.`;
  } else if (code === '003001' || /insufficient privileges/i.test(text)) {
    fix = `the role ${ctx.role ?? '(default role)'} lacks a privilege: grant it (CREATE INTEGRATION needs ACCOUNTADMIN or a role granted CREATE INTEGRATION ON ACCOUNT; the pipe needs OWNERSHIP or MONITOR), or set SNOWFLAKE_ROLE to a role that has it.`;
  } else if (/pipe .*(does not exist|not authorized)/i.test(text)) {
    fix =
      'the pipe is missing: run `spotify-pipeline snowflake setup` first (or grant the role MONITOR on the pipe).';
  } else if (code === '002003' || /does not exist or not authorized/i.test(text)) {
    fix =
      'an object is missing or the role may not see it: run `spotify-pipeline snowflake setup`, or grant the role USAGE on the database and schema.';
  } else if (
    code === '390100' ||
    code === '390101' ||
    answer.httpStatus === 404 ||
    answer.httpStatus === 403
  ) {
    exit = ExitCode.usage;
    fix =
      'the account does not answer like a Snowflake account: check SNOWFLAKE_ACCOUNT (as in your URL, e.g. myorg-myaccount or xy12345.us-east-2.aws) and SNOWFLAKE_API_BASE_URL.';
  } else {
    fix = 'see the message above; fix it and run again.';
  }
  const shown = text ? `: ${text.split('\n').slice(0, 3).join(' ')}` : '';
  return new SnowflakeError(`${tag} while ${ctx.doing}${shown}\nFix: ${fix}`, code, answer.sqlState, exit);
}

/** A network failure reaching Snowflake. */
export function networkError(baseUrl: string, err: unknown, doing: string): SnowflakeError {
  const cause = (err as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException)?.code ?? '';
  const dns = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  const fix = dns
    ? `the host of ${baseUrl} does not exist: check SNOWFLAKE_ACCOUNT (as in your Snowflake URL, e.g. myorg-myaccount or xy12345.us-east-2.aws).`
    : `cannot reach ${baseUrl}: check the network (and SNOWFLAKE_API_BASE_URL), then run again.`;
  return new SnowflakeError(
    `Cannot reach Snowflake while ${doing} (${code || (err as Error).message})\nFix: ${fix}`,
    undefined,
    undefined,
    dns ? ExitCode.usage : ExitCode.failed,
    { cause: err },
  );
}
