import { createServer } from 'node:net';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** Every path under `dir`, folders included, sorted: the before/after picture of a working folder. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('read-only commands in a fresh folder', () => {
  /** Runs each command in one fresh folder and checks its exit code and that the folder stayed empty. */
  async function expectNoTrace(runs: [string[], number][], cwd: string) {
    for (const [args, code] of runs) {
      const r = await runCli(args, { cwd, env: { LOG_LEVEL: 'warn' } });
      expect({ args, code: r.code, stderr: r.code === code ? '' : r.stderr }).toEqual({
        args,
        code,
        stderr: '',
      });
      expect({ args, tree: await tree(cwd) }).toEqual({ args, tree: [] });
    }
  }

  it('stats, auth status and --help leave the folder as it was', async () => {
    await expectNoTrace(
      [
        [['--help'], 0],
        [['stats'], 0],
        [['auth', 'status'], 3],
      ],
      await tempDir('spp-readonly-'),
    );
  });

  it('query and report leave the folder as it was (the report goes where --out says)', async () => {
    const outside = await mkdtemp(path.join(tmpdir(), 'spp-readonly-out-'));
    await expectNoTrace(
      [
        [['query', 'SELECT count(*) FROM spotify_listening_history'], 0],
        [['report', '--out', path.join(outside, 'r.html')], 0],
      ],
      await tempDir('spp-readonly-'),
    );
    expect(await tree(outside)).toEqual(['r.html']);
  });

  it('test leaves no probe folder behind and fails at once when nothing listens at the Spotify address', async () => {
    const cwd = await tempDir('spp-readonly-test-');
    const port = await closedPort();
    const started = Date.now();
    const r = await runCli(['test'], {
      cwd,
      env: {
        LOG_LEVEL: 'warn',
        SPOTIFY_CLIENT_ID: 'client-id',
        SPOTIFY_REFRESH_TOKEN: 'refresh-token',
        SPOTIFY_ACCOUNTS_BASE_URL: `http://127.0.0.1:${port}`,
      },
    });
    // Before: six attempts with backoff, about 12 s, for a refusal no retry can change.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `✗ Spotify: Spotify cannot be reached: nothing listens at http://127.0.0.1:${port} (SPOTIFY_ACCOUNTS_BASE_URL; connection refused on this machine)`,
    );
    expect(r.stderr).not.toContain('retrying');
    expect(r.stdout).toMatch(/✓ storage .*worked/);
    expect(await tree(cwd)).toEqual([]);
  });
});
