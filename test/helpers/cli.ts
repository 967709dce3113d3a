import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(PROJECT_ROOT, 'bin', 'spotify-pipeline.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh temporary working directory for one CLI run (its own .env, data and state). */
export function tempDir(prefix = 'spp-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/**
 * Only what the CLI needs: the developer's own AWS or Spotify settings must not leak into tests. The SDK never
 * asks EC2's instance metadata for credentials (a test machine in the cloud would answer).
 */
export function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  } as NodeJS.ProcessEnv;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** LOG_LEVEL (default `info`); `warn` keeps stderr to warnings and errors, for tests that read it whole. */
  logLevel?: string;
  /** HOME (default the test runner's): a folder of its own keeps the SDK from reading ~/.aws. */
  home?: string;
}

export function startCli(args: string[], options: CliOptions): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: cleanEnv({
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
      ...(options.home ? { HOME: options.home } : {}),
      ...options.env,
    }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

/**
 * Runs the built CLI as a user would: a real child process. With `until`, the run stops at that pause point
 * (SPOTIFY_PIPELINE_PAUSE_AT) and is SIGKILLed there: a crash at exactly that step; a run that ends before
 * reaching it resolves as it ended (runCliUntilKilledAt insists on the kill).
 */
export function runCli(
  args: string[],
  options: CliOptions & { stdin?: string; until?: string },
): Promise<CliResult> {
  const { until } = options;
  const child = startCli(
    args,
    until ? { ...options, env: { ...options.env, SPOTIFY_PIPELINE_PAUSE_AT: until } } : options,
  );
  const done = collect(child, options.stdin);
  if (until) {
    let seen = '';
    child.stderr!.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(`PAUSED AT ${until}`)) child.kill('SIGKILL');
    });
  }
  return done;
}

/**
 * Runs the CLI until it reaches the pause point `point` (SPOTIFY_PIPELINE_PAUSE_AT), then SIGKILLs it:
 * a crash at exactly that step. Resolves with what it printed; rejects if it ended without pausing.
 */
export async function runCliUntilKilledAt(
  args: string[],
  point: string,
  options: CliOptions,
): Promise<CliResult> {
  const child = startCli(args, { ...options, env: { ...options.env, SPOTIFY_PIPELINE_PAUSE_AT: point } });
  const done = collect(child);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(`PAUSED AT ${point}`)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('close', () => reject(new Error(`the CLI ended without reaching ${point}:\n${seen}`)));
  });
  return done;
}
