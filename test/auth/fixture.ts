import path from 'node:path';
import { FakeSpotify } from '../fakes/spotify-server.js';
import { collect, runCli, startCli, tempDir, type CliResult } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { freePort } from '../helpers/ports.js';

const AUTHORIZE_URL = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/;

/** A fake Spotify with users, a working folder, and the settings of an app with or without a secret. */
export async function authFixture(options: { secret?: boolean; users?: string[] } = {}) {
  const spotify = await FakeSpotify.start();
  for (const id of options.users ?? ['alice']) spotify.addUser(id);
  const cwd = await tempDir('spp-auth-');
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const env: Record<string, string | undefined> = {
    SPOTIFY_CLIENT_ID: spotify.clientId,
    SPOTIFY_CLIENT_SECRET: options.secret === false ? undefined : (spotify.clientSecret ?? undefined),
    SPOTIFY_REDIRECT_URI: redirectUri,
    SPOTIFY_API_BASE_URL: spotify.apiBaseUrl,
    SPOTIFY_ACCOUNTS_BASE_URL: spotify.accountsBaseUrl,
  };
  const stateDir = path.join(cwd, '.pipeline');
  const dataDir = path.join(cwd, 'data');

  /**
   * Starts `auth login` (no browser is opened), waits for the printed authorization URL, and hands it to
   * `browse`, which plays the browser. Resolves with the CLI's result and what `browse` returned.
   */
  async function login<T>(
    browse: (authorizeUrl: string, child: ReturnType<typeof startCli>) => Promise<T>,
    args: string[] = ['auth', 'login', '--no-open'],
    extraEnv: Record<string, string | undefined> = {},
  ): Promise<{ result: CliResult; browsed: T }> {
    const child = startCli(args, { cwd, env: { ...env, ...extraEnv } });
    let stdout = '';
    const url = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        stdout += c.toString();
        const m = AUTHORIZE_URL.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`auth login ended without printing a URL:\n${stdout}`)));
    });
    const done = collectKeepingStdin(child);
    const browsed = await browse(await url, child);
    return { result: await done, browsed };
  }

  return {
    spotify,
    cwd,
    env,
    port,
    redirectUri,
    stateDir,
    dataDir,
    login,
    /** The browser: follows Spotify's redirect to the CLI's callback and returns the page it lands on. */
    browserLogin: (extraEnv: Record<string, string | undefined> = {}, args?: string[]) =>
      login(
        async (url) => {
          const res = await fetch(url, { redirect: 'follow' });
          return { status: res.status, text: await res.text(), url: res.url };
        },
        args,
        extraEnv,
      ),
    run: (args: string[], extraEnv: Record<string, string | undefined> = {}, stdin?: string) =>
      runCli(args, { cwd, env: { ...env, ...extraEnv }, stdin }),
    lake: () => readLocalLake(dataDir),
    close: () => spotify.close(),
  };
}

/** Like `collect`, but leaves stdin open for the test to write to (paste mode). */
function collectKeepingStdin(child: ReturnType<typeof startCli>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export { collect };

export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
  } catch {
    throw new Error(
      `no JSON on stdout (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}
