import path from 'node:path';
import type { RunSummary } from '../../src/collect/run-collection.js';
import { FakeSpotify, headlessSpotifyEnv } from '../fakes/spotify-server.js';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';

/** A fake Spotify with one user, a working folder, and the environment a headless user would set. */
export async function collectorFixture(userId = 'alice') {
  const spotify = await FakeSpotify.start();
  const user = spotify.addUser(userId);
  const cwd = await tempDir();
  const env = headlessSpotifyEnv(spotify, user);
  const dataDir = path.join(cwd, 'data');
  return {
    spotify,
    user,
    cwd,
    env,
    dataDir,
    stateDir: path.join(cwd, '.pipeline'),
    run: (args: string[] = ['run-once', '--json'], extraEnv: Record<string, string | undefined> = {}) =>
      runCli(args, { cwd, env: { ...env, ...extraEnv } }),
    lake: () => readLocalLake(dataDir),
    close: () => spotify.close(),
  };
}

export function summaryOf(result: CliResult): RunSummary {
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop()!);
  } catch {
    throw new Error(
      `no JSON summary (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}
