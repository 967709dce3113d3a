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

/** Only what the CLI needs: the developer's own AWS or Spotify settings must not leak into tests. */
export function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env } as NodeJS.ProcessEnv;
}

export function startCli(
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined> },
): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
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

/** Runs the built CLI as a user would: a real child process. */
export function runCli(
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; stdin?: string },
): Promise<CliResult> {
  return collect(startCli(args, options), options.stdin);
}

/**
 * Runs the CLI until it reaches the pause point `point` (SPOTIFY_PIPELINE_PAUSE_AT), then SIGKILLs it:
 * a crash at exactly that step. Resolves with what it printed; rejects if it ended without pausing.
 */
export async function runCliUntilKilledAt(
  args: string[],
  point: string,
  options: { cwd: string; env: Record<string, string | undefined> },
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
