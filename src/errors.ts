/** Exit codes of the CLI, as promised in the contract. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  authRequired: 3,
  /** Stopped by SIGINT or SIGTERM (128 + the signal's number): see src/util/stop-request.ts. */
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface PipelineErrorOptions {
  cause?: unknown;
  /**
   * The same run later may well succeed (a server busy or out of reach, a rate limit): the client that gave
   * up says so, and a long-running loop retries on its schedule instead of treating it as a fault to fix.
   */
  transient?: boolean;
}

/**
 * An error meant for the user: its message says what went wrong and what to do, and it carries the exit code.
 * Anything else that reaches the top level is a bug and is reported as such.
 */
export class PipelineError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly transient: boolean;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failed, options?: PipelineErrorOptions) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'PipelineError';
    this.exitCode = exitCode;
    this.transient = options?.transient ?? false;
  }
}

/** A missing or invalid setting or argument (exit 2). */
export class ConfigError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
    this.name = 'ConfigError';
  }
}

/** Spotify needs a (new) login: no token, or the refresh token is expired or revoked (exit 3). */
export class AuthRequiredError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.authRequired, options);
    this.name = 'AuthRequiredError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
