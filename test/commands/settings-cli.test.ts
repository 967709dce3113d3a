import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('wrong settings do not pass silently', () => {
  it('a mistyped .env key is warned about once, with the setting it meant; --quiet keeps stderr for errors', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, '.env'), 'SPOTIFY_CLIENTID=abc\n');
    const result = await runCli(['auth', 'status'], { cwd, env: {} });
    const warning = `warning: SPOTIFY_CLIENTID in ${path.join(cwd, '.env')} is not a setting of spotify-pipeline and is ignored (did you mean SPOTIFY_CLIENT_ID?)`;
    expect(result.stderr.split('\n').filter((l) => l === warning)).toHaveLength(1);
    const quiet = await runCli(['--quiet', 'auth', 'status'], { cwd, env: {} });
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(3);
  });

  it('STATE_URL=S3://… is refused (exit 2) instead of becoming a local folder named S3:', async () => {
    const cwd = await tempDir();
    const result = await runCli(['run-once'], { cwd, env: { STATE_URL: 'S3://mybucket/state/' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('STATE_URL (got "S3://mybucket/state/") must be s3://bucket/prefix/');
    expect(existsSync(path.join(cwd, 'S3:'))).toBe(false);
  });

  it('run-once --transform with a module that does not exist fails before collecting (was exit 0, "done")', async () => {
    const cwd = await tempDir();
    const result = await runCli(['run-once', '--transform', './nope.mjs'], { cwd, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `TRANSFORM_MODULE (--transform) ${path.join(cwd, 'nope.mjs')} is not a file`,
    );
  });

  it('a mistyped command or flag gets its suggestion and one line about --help, not the whole help (exit 2)', async () => {
    const cwd = await tempDir();
    for (const args of [['run-onec'], ['run-once', '--jsn']]) {
      const result = await runCli(args, { cwd, env: {} });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/\(Did you mean (run-once|--json)\?\)/);
      expect(result.stderr).toContain('`spotify-pipeline COMMAND --help` their options');
      expect(result.stderr).not.toContain('Options:');
      expect(result.stderr.trim().split('\n')).toHaveLength(3);
    }
  });
});
