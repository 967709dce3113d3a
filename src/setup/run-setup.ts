import { loadConfig, loadEnvironment, type Config } from '../config.js';
import { PipelineError } from '../errors.js';
import { answersToEnv, currentAnswers, validate, type SetupAnswers } from './answers.js';
import {
  describeChanges,
  planEnvChanges,
  readEnvFile,
  renderEnvFile,
  shownValue,
  writeEnvFile,
} from './env-file.js';
import { askSpotify, askStorage, checked } from './questions.js';
import type { SetupContext } from './setup-context.js';

function configFor(ctx: SetupContext, env: Record<string, string | undefined>): Config {
  const overlay: Record<string, string> = {};
  // An empty value means "not set" to loadConfig, which is how a removed setting is expressed.
  for (const [k, v] of Object.entries(env)) overlay[k] = v ?? '';
  return loadConfig({
    cwd: ctx.cwd,
    env: { ...process.env, ...overlay },
    overrides: { STATE_DIR: ctx.flags.stateDir },
  });
}

async function checkStorage(ctx: SetupContext, config: Config): Promise<string | undefined> {
  const { storageCheck } = await import('../checks/storage-check.js');
  const [result] = await storageCheck(config, ctx.log);
  if (result?.ok) {
    ctx.prompter.info(`Storage works: ${result.name}.`);
    return undefined;
  }
  return `${result?.name ?? 'storage'}: ${result?.detail ?? 'failed'}`;
}

/**
 * `setup`: explains the Spotify app, asks (or takes from flags) every setting, checks them, writes `.env`
 * (0600, never silently overwritten), then logs in and runs `test`. Returns the exit code.
 */
export async function runSetup(ctx: SetupContext): Promise<number> {
  const { flags, prompter } = ctx;
  const current = currentAnswers(loadEnvironment(ctx.cwd));
  const spotify = await askSpotify(ctx, current);

  let storage = await askStorage(ctx, current);
  const interval =
    flags.interval !== undefined
      ? checked('interval', flags.interval, validate.intervalMinutes)
      : await prompter.text({
          message: 'How often should run-continuous collect? Minutes, or 10m / 1h',
          initial: current.intervalMinutes,
          validate: validate.intervalMinutes,
        });

  let answers: SetupAnswers = { ...spotify, ...storage, intervalMinutes: interval.trim() };
  let wanted = answersToEnv(answers);
  let config = configFor(ctx, wanted);
  for (;;) {
    const problem = await checkStorage(ctx, config);
    if (!problem) break;
    if (!prompter.interactive) {
      throw new PipelineError(`The storage check failed, so .env was not written. ${problem}`, 1);
    }
    prompter.warn(`The storage check failed: ${problem}`);
    // The storage may be right and only not reachable yet (credentials set up after setup, a bucket still
    // being made): the answers are kept either way, and Ctrl-C is not the only way out.
    const next = await prompter.select<'change' | 'retry' | 'keep'>({
      message: 'What now?',
      options: [
        { value: 'change', label: 'Change the storage answers' },
        { value: 'retry', label: 'Check again', hint: 'after fixing credentials or the bucket elsewhere' },
        {
          value: 'keep',
          label: 'Save these settings anyway',
          hint: 'check later with `spotify-pipeline test`',
        },
      ],
      initial: 'change',
    });
    if (next === 'keep') {
      prompter.warn(
        'Saving settings whose storage check failed: run `spotify-pipeline test` once it is fixed.',
      );
      break;
    }
    if (next === 'retry') continue;
    storage = await askStorage(
      {
        ...ctx,
        flags: {
          ...flags,
          storage: undefined,
          bucket: undefined,
          region: undefined,
          endpointUrl: undefined,
          dataDir: undefined,
        },
      },
      { ...current, ...storage },
    );
    answers = { ...answers, ...storage };
    wanted = answersToEnv(answers);
    config = configFor(ctx, wanted);
  }

  const written = await writeEnv(ctx, wanted);
  if (written === 'refused') return prompter.interactive ? 1 : 2;

  // The real environment wins over .env: say so when it disagrees with what was just written.
  for (const [key, value] of Object.entries(wanted)) {
    const env = process.env[key]?.trim() ? process.env[key] : undefined;
    if (env !== undefined && env !== value) {
      prompter.warn(
        `${key} is also set in your environment (${shownValue(key, env)}), which wins over .env: unset it to use the value in .env.`,
      );
    }
  }

  config = loadConfig({ cwd: ctx.cwd, overrides: { STATE_DIR: flags.stateDir } });
  const { tokenStore } = await import('../spotify/open-token-store.js');
  const accounts = await (await tokenStore(config)).list();
  const wantLogin =
    !flags.skipLogin &&
    (await prompter.confirm({
      message: accounts.length
        ? `Connect another Spotify account (connected: ${accounts.map((a) => a.user_id).join(', ')})?`
        : 'Log in to Spotify now?',
      initial: accounts.length === 0,
    }));
  if (wantLogin) {
    const { login } = await import('../auth/login.js');
    try {
      const result = await login(config, ctx.log, {
        mode: !flags.browser ? 'paste' : flags.open ? 'browser' : 'print',
        out: ctx.out,
        input: process.stdin,
      });
      prompter.info(`Connected Spotify account ${result.account.user_id}.`);
    } catch (err) {
      if (err instanceof PipelineError) {
        prompter.warn(
          '.env is written; run `spotify-pipeline auth login` when ready, then `spotify-pipeline test`.',
        );
      }
      throw err;
    }
  }

  if (flags.skipTest) {
    prompter.info('Done. Run `spotify-pipeline test` to check every connection.');
    return 0;
  }
  const { runChecks } = await import('../checks/run-checks.js');
  const results = await runChecks(config, ctx.log);
  for (const r of results) ctx.out.write(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}\n`);
  const ok = results.every((r) => r.ok);
  prompter.info(
    ok
      ? 'Setup complete: run `spotify-pipeline run-once` to collect.'
      : 'Setup finished, but some checks failed: see above.',
  );
  return ok ? 0 : 1;
}

/** Writes `.env`; an existing file is changed only after the changes were shown and accepted. */
async function writeEnv(
  ctx: SetupContext,
  wanted: Record<string, string | undefined>,
): Promise<'written' | 'unchanged' | 'refused'> {
  const { prompter, flags } = ctx;
  const file = await readEnvFile(ctx.cwd);
  const changes = planEnvChanges(file.values, wanted);
  if (file.exists && changes.length === 0) {
    const { promises: fs } = await import('node:fs');
    await fs.chmod(file.path, 0o600);
    prompter.info(`${file.path} already holds these settings.`);
    return 'unchanged';
  }
  const lines = describeChanges(changes);
  if (file.exists) {
    prompter.note(lines.join('\n'), `Changes to ${file.path}`);
    const accepted = prompter.interactive
      ? await prompter.confirm({ message: `Apply these changes to ${file.path}?`, initial: false })
      : flags.force === true;
    if (!accepted) {
      const how = prompter.interactive ? '' : ' (with --yes an existing .env is only changed with --force)';
      ctx.out.write(`${file.path} was left unchanged${how}.\n`);
      return 'refused';
    }
  }
  await writeEnvFile(file.path, renderEnvFile(file.text, changes));
  prompter.info(`Wrote ${file.path} (mode 0600)${file.exists ? '' : `:\n${lines.join('\n')}`}`);
  return 'written';
}
