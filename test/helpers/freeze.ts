import { collect, startCli } from './cli.js';

/**
 * Starts the CLI and resolves once it has stopped itself with SIGSTOP at `point` (SPOTIFY_PIPELINE_STOP_AT,
 * src/util/pause-point.ts): a writer frozen at exactly that step. `child.kill('SIGCONT')` resumes it.
 */
export async function startStoppedAt(
  args: string[],
  point: string,
  options: { cwd: string; env: Record<string, string | undefined> },
) {
  const child = startCli(args, { ...options, env: { ...options.env, SPOTIFY_PIPELINE_STOP_AT: point } });
  const done = collect(child);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(`STOPPED AT ${point}`)) resolve();
    });
    child.on('close', () => reject(new Error(`the CLI ended without reaching ${point}:\n${seen}`)));
  });
  return { child, done };
}

/** Waits until the lease the frozen writer holds has expired by its own record (it cannot renew it). */
export async function leaseExpiry(read: () => Promise<string>): Promise<void> {
  const lease = JSON.parse(await read()) as { expires_at: string };
  const wait = Date.parse(lease.expires_at) - Date.now() + 500;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
