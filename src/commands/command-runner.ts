import type { Command } from 'commander';
import type { Config, SettingOverrides } from '../config.js';
import type { Logger } from '../log.js';
import type { ConfiguredFolder } from '../util/folders.js';

/** What every command's action gets: validated configuration and a logger. */
export interface CommandContext {
  config: Config;
  log: Logger;
  /** True when stdout is a terminal (progress bars, colours, charts). */
  interactive: boolean;
}

interface GlobalOptions {
  stateDir?: string;
  dataDir?: string;
  logLevel?: string;
}

/** Global flags map onto settings: flags win over the environment and .env. */
function overridesFrom(command: Command): SettingOverrides {
  const g = command.optsWithGlobals<GlobalOptions>();
  return { STATE_DIR: g.stateDir, DATA_DIR: g.dataDir, LOG_LEVEL: g.logLevel };
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
    try {
      const { loadConfig } = await import('../config.js');
      const config = loadConfig({ overrides: overridesFrom(command) });
      if (options.writes?.length) {
        const { requireConfiguredFolders } = await import('../util/folders.js');
        await requireConfiguredFolders(config, options.writes);
      }
      const { createLogger } = await import('../log.js');
      const log = createLogger(config.logLevel);
      const code = await fn({ config, log, interactive: Boolean(process.stdout.isTTY) }, ...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      await reportCommandError(err);
    }
  };
}

/**
 * The last word of every command on an error: a user-facing error prints its message and sets its exit code;
 * anything else is a bug and is reported as such, with its stack.
 */
export async function reportCommandError(err: unknown): Promise<void> {
  const { PipelineError } = await import('../errors.js');
  if (err instanceof PipelineError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(
      `error: unexpected failure (a bug; please report it): ${(err as Error)?.stack ?? String(err)}\n`,
    );
    process.exitCode = 1;
  }
}

export function addAccountOption(command: Command): Command {
  return command.option('--account <id>', 'only this Spotify account (user id)');
}
