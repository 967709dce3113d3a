import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { reportCommandError } from './command-runner.js';

interface GlobalFlags {
  stateDir?: string;
  dataDir?: string;
  logLevel?: string;
}

export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description(
      'guided first-time configuration: explains the Spotify app, asks for its client id and storage, writes .env (mode 0600), logs in and runs `test`; every question has a flag, --yes takes the defaults',
    )
    .option('--client-id <id>', 'Spotify app client id (SPOTIFY_CLIENT_ID)')
    .option(
      '--client-secret <secret>',
      'Spotify app client secret (SPOTIFY_CLIENT_SECRET); prefer setting it in the environment',
    )
    .option(
      '--no-client-secret',
      'use no client secret: log in with PKCE (removes SPOTIFY_CLIENT_SECRET from .env)',
    )
    .option('--redirect-uri <uri>', 'loopback redirect URI registered in the app (SPOTIFY_REDIRECT_URI)')
    .option('--storage <kind>', 'local | s3 | s3-compatible')
    .option('--bucket <name>', 'S3 bucket (S3_BUCKET_NAME)')
    .option('--region <region>', 'S3 region (AWS_REGION); empty: the AWS config chain')
    .option('--endpoint-url <url>', 'S3-compatible endpoint (S3_ENDPOINT_URL)')
    .option('--interval <minutes>', 'run-continuous interval (FETCH_INTERVAL_MINUTES)')
    .option('-y, --yes', 'ask nothing: take the flags, then the current settings, then the defaults')
    .option(
      '--force',
      'with --yes: apply changes to an existing .env (without it, setup refuses and shows them)',
    )
    .option(
      '--skip-login',
      'do not run `auth login` (with --yes, login runs only when no account is connected yet)',
    )
    .option('--skip-test', 'do not run `test` at the end')
    .option('--no-browser', 'log in on a remote machine: paste the address the browser was sent to')
    .option('--no-open', 'do not try to open a browser for the login; print the address')
    .addHelpText(
      'after',
      '\nThe global --data-dir and --state-dir flags give the lake folder and the state folder. See docs/accounts.md.',
    )
    .action(async (flags: Record<string, unknown>, command: Command) => {
      let interactive = false;
      // Not the shared action(): setup must run even when the current .env is invalid, to fix it.
      // Its writes are atomic: a signal ends it at once, 130/143, as every command without a lease.
      const { installStopHandlers } = await import('../util/stop-request.js');
      installStopHandlers();
      try {
        const globals = command.optsWithGlobals<GlobalFlags>();
        const { createLogger } = await import('../log.js');
        const { LOG_LEVELS } = await import('../config-schema.js');
        const level = globals.logLevel ?? process.env.LOG_LEVEL ?? 'warn';
        const log = createLogger(
          (LOG_LEVELS as readonly string[]).includes(level) ? (level as 'warn') : 'warn',
        );
        // Folders given as flags are checked before any question: an impossible one fails at once.
        const { requireWritableFolder, STATE_DIR_SETTING, DATA_DIR_SETTING } =
          await import('../fs/folders.js');
        const path = await import('node:path');
        if (globals.stateDir)
          await requireWritableFolder(path.resolve(globals.stateDir), STATE_DIR_SETTING, 0o700);
        if (globals.dataDir)
          await requireWritableFolder(path.resolve(globals.dataDir), DATA_DIR_SETTING, 0o777);
        const { clackPrompter, defaultsPrompter, SETUP_FLAGS_HINT } = await import('../setup/prompter.js');
        if (!flags.yes && !answerableInput()) {
          const { ConfigError } = await import('../errors.js');
          throw new ConfigError(
            `setup asks questions, and its input cannot answer them. ${SETUP_FLAGS_HINT}`,
          );
        }
        const { runSetup } = await import('../setup/run-setup.js');
        interactive = !flags.yes;
        const prompter = flags.yes ? defaultsPrompter(process.stdout) : await clackPrompter();
        process.exitCode = await runSetup({
          cwd: process.cwd(),
          flags: {
            ...(flags as object),
            dataDir: globals.dataDir,
            stateDir: globals.stateDir,
            browser: flags.browser !== false,
            open: flags.open !== false,
          },
          prompter,
          log,
          out: process.stdout,
        });
      } catch (err) {
        await reportCommandError(err);
        // A prompt left waiting on stdin would keep the process alive after the error.
        if (interactive) process.exit();
      }
    });
}

/**
 * Whether stdin can answer questions: a terminal, or a pipe that a person or a script writes the answers to.
 * /dev/null, a file or a closed stdin (CI, cron, `< /dev/null`) cannot: there the prompt library waited on an
 * input that never comes and Node ended with exit 13, no message and the cursor hidden.
 */
function answerableInput(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
