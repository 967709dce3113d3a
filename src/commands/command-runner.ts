import type { Command } from 'commander';
import type { Config, SettingOverrides } from '../config.js';
import type { Logger } from '../log.js';
import type { ConfiguredFolder } from '../fs/folders.js';

/** What every command's action gets: validated configuration and a logger. */
export interface CommandContext {
  config: Config;
  log: Logger;
  /** True when stdout is a terminal (progress bars, colours, charts). */
  interactive: boolean;
  /** Colours on stdout: a terminal, and NO_COLOR not set (https://no-color.org). */
  color: boolean;
  /** --quiet: errors only; no progress bar, no notes. */
  quiet: boolean;
}

interface GlobalOptions {
  stateDir?: string;
  stateUrl?: string;
  dataDir?: string;
  logLevel?: string;
  transform?: string;
  quiet?: boolean;
}

/** Global flags map onto settings: flags win over the environment and .env. */
function overridesFrom(command: Command): SettingOverrides {
  const g = command.optsWithGlobals<GlobalOptions>();
  return {
    STATE_DIR: g.stateDir,
    STATE_URL: g.stateUrl,
    DATA_DIR: g.dataDir,
    LOG_LEVEL: g.logLevel,
    TRANSFORM_MODULE: g.transform,
  };
}

export interface ActionOptions {
  /** Configured folders the command writes to: checked (made, written) before any work, failing at once. */
  writes?: readonly ConfiguredFolder[];
}

export const WRITES_STATE: ActionOptions = { writes: ['state'] };
export const WRITES_STATE_AND_LAKE: ActionOptions = { writes: ['state', 'lake'] };

/**
 * Runs a command action: configuration is validated before any work, user-facing errors print their
 * message and set the exit code, anything else is reported as a bug. The action returns its exit code.
 */
export function action<A extends unknown[]>(
  fn: (ctx: CommandContext, ...args: A) => Promise<number | void>,
  options: ActionOptions = {},
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    // With --json, stdout holds exactly one JSON object whatever happens: the command's own, or, when it
    // failed before printing one, a failure object (see jsonFailure).
    const stdout = command.opts<{ json?: boolean }>().json ? watchStdout() : undefined;
    // Before any work: a signal is never ignored (Node as PID 1 in a container handles only the signals it has
    // handlers for). Work that holds the lease stops at its safe points; anything else ends at once.
    const { installStopHandlers, StoppedError } = await import('../util/stop-request.js');
    installStopHandlers((signal) => {
      const stopped = new StoppedError(signal, 'before the command finished');
      process.stderr.write(`error: ${stopped.message}\n`);
      if (stdout && !stdout.written())
        process.stdout.write(
          `${JSON.stringify(jsonFailure(commandName(command), stopped.message, stopped.exitCode))}\n`,
        );
    });
    const quiet = Boolean(command.optsWithGlobals<GlobalOptions>().quiet);
    let config: Config | undefined;
    try {
      const { loadConfig } = await import('../config.js');
      config = loadConfig({ overrides: overridesFrom(command) });
      const { checkEnvFile } = await import('../setup/env-permissions.js');
      const envWarning = checkEnvFile(config.cwd);
      if (envWarning && !quiet) process.stderr.write(`${envWarning}\n`);
      if (!quiet) for (const warning of config.warnings) process.stderr.write(`${warning}\n`);
      if (options.writes?.length) {
        const { requireConfiguredFolders } = await import('../fs/folders.js');
        await requireConfiguredFolders(config, options.writes);
      }
      const { colorAllowed, createLogger, defaultLogLevel } = await import('../log.js');
      const level = defaultLogLevel({
        asked: config.raw.LOG_LEVEL === undefined ? undefined : config.logLevel,
        quiet,
        terminal: Boolean(process.stderr.isTTY),
      });
      const log = createLogger(level);
      const code = await fn(
        {
          config,
          log,
          interactive: Boolean(process.stdout.isTTY),
          color: colorAllowed(process.stdout),
          quiet,
        },
        ...args,
      );
      process.exitCode = code ?? 0;
    } catch (err) {
      const message = await reportCommandError(err, config);
      if (stdout && !stdout.written()) {
        const failure = jsonFailure(commandName(command), message, Number(process.exitCode ?? 1));
        process.stdout.write(`${JSON.stringify(failure)}\n`);
      }
    } finally {
      stdout?.stop();
    }
  };
}

/** Whether anything was written to stdout since the call (until stop()). */
function watchStdout(): { written: () => boolean; stop: () => void } {
  const original = process.stdout.write;
  let written = false;
  process.stdout.write = function (this: NodeJS.WriteStream, ...args: Parameters<typeof original>) {
    written = true;
    return original.apply(this, args);
  } as typeof original;
  return {
    written: () => written,
    stop: () => {
      process.stdout.write = original;
    },
  };
}

/** `run-once`, `auth status`, `snowflake setup`: the words after the program's name. */
function commandName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The one JSON object of a `--json` run that failed before printing its own: the same keys a script reads from
 * every summary (`outcome`, `exit_code`, `error`, `errors`), so it needs no other path for failures.
 */
export function jsonFailure(
  command: string | undefined,
  message: string,
  exitCode: number,
): Record<string, unknown> {
  const code = exitCode || 1;
  return {
    ok: false,
    ...(command === undefined ? {} : { command }),
    outcome: code === 3 ? 'auth_required' : 'failed',
    exit_code: code,
    error: message,
    errors: [message],
  };
}

/**
 * The last word of every command on an error: a user-facing error prints its message and sets its exit code;
 * so does an error of the environment (a file another user owns, a full disk: see environment-error.ts);
 * anything else is a bug and is reported as such, with its stack. Returns the message, without the stack.
 */
export async function reportCommandError(err: unknown, config?: Config): Promise<string> {
  const { PipelineError } = await import('../errors.js');
  const { environmentError } = await import('./environment-error.js');
  const known = err instanceof PipelineError ? err : environmentError(err, config);
  if (known) {
    process.stderr.write(`error: ${known.message}\n`);
    process.exitCode = known.exitCode;
    return known.message;
  }
  process.stderr.write(
    `error: unexpected failure (a bug; please report it): ${(err as Error)?.stack ?? String(err)}\n`,
  );
  process.exitCode = 1;
  return `unexpected failure (a bug; please report it): ${(err as Error)?.message ?? String(err)}`;
}

export function addAccountOption(command: Command): Command {
  return command.option('--account <id>', 'only this Spotify account (user id)');
}
