import { collect, startCli, type CliResult } from '../helpers/cli.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
export const KEY = { enter: '\r', down: '\x1b[B' };

/**
 * Drives an interactive CLI through its stdin like a person: waits until each expected text shows on stdout
 * (after the previous answer), then types the answer. No timing: every step waits for the program.
 */
export async function driveInteractive(
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined> },
  script: [expect: string, answer: string][],
): Promise<CliResult & { unanswered: string[] }> {
  const child = startCli(args, options);
  let seen = '';
  let step = 0;
  child.stdout!.on('data', (c: Buffer) => {
    seen += c.toString().replace(ANSI, '');
    while (step < script.length && seen.includes(script[step]![0])) {
      seen = seen.slice(seen.indexOf(script[step]![0]) + script[step]![0].length);
      child.stdin!.write(script[step]![1]);
      step++;
    }
    if (step === script.length) child.stdin!.end();
  });
  const result = await new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    ...result,
    stdout: result.stdout.replace(ANSI, ''),
    unanswered: script.slice(step).map((s) => s[0]),
  };
}

export { collect };
