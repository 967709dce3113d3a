import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, collect, tempDir } from '../helpers/cli.js';

/** setup with `stdin` as its input: an open file descriptor, or a pipe that collect() closes at once. */
async function setupWith(stdin: 'pipe' | number) {
  const cwd = await tempDir();
  const child = spawn(process.execPath, [CLI, 'setup'], {
    cwd,
    env: cleanEnv({}),
    stdio: [stdin, 'pipe', 'pipe'],
  });
  if (stdin === 'pipe') return collect(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('setup when its input cannot answer the questions', () => {
  it('refuses /dev/null (CI, cron, `< /dev/null`) at once, naming the flags to use (was exit 13, no message)', async () => {
    const result = await setupWith(openSync('/dev/null', 'r'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('setup asks questions, and its input cannot answer them');
    expect(result.stderr).toContain('spotify-pipeline setup --yes --client-id <id>');
    // No prompt was drawn, so no cursor escape leaked.
    expect(result.stdout).not.toContain('\x1b[?25l');
  });

  it('stops when a piped input ends mid-question, shows the cursor again, and writes nothing', async () => {
    const result = await setupWith('pipe');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "setup's input ended before every question was answered: nothing was written",
    );
    expect(result.stderr).toContain('--yes --client-id');
    expect(result.stdout.endsWith('\x1b[?25h\n')).toBe(true);
  });
});
