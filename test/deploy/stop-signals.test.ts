import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateExport } from '../../src/demo/generate-export.js';
import type { ImportReport } from '../../src/import/run-import.js';
import { collectorFixture, summaryOf } from '../collect/fixture.js';
import { makePlays } from '../fakes/spotify-server.js';
import { collect, startCli, tempDir, type CliResult } from '../helpers/cli.js';
import { playIdentity, readDataset } from '../helpers/lake.js';

/**
 * SIGINT/SIGTERM for every command (docs/operations.md, "Stopping a command"), on the built CLI as a real child
 * process: the command stops at its next safe point, releases the lake's lease, and exits 130/143; a rerun
 * continues with nothing lost or doubled. SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP holds the command at a named step
 * until the signal, so the signal lands at a known point without any timing.
 */

const lease = async (dataDir: string) =>
  JSON.parse(await fs.readFile(path.join(dataDir, '_pipeline', 'lease.json'), 'utf8')) as {
    released_at: string | null;
  };

/** Starts the CLI, sends `signal` once it announces the pause point `point`, and collects the result. */
async function signalAt(child: ChildProcess, point: string, signal: NodeJS.Signals): Promise<CliResult> {
  const done = collect(child);
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(`PAUSED AT ${point}`)) resolve();
    });
    child.on('close', () => reject(new Error(`the CLI ended before ${point}:\n${seen}`)));
  });
  child.kill(signal);
  return done;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe('run-once on SIGTERM', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('finishes the account in flight, collects no other, releases the lease, exits 143; a rerun collects the rest', async () => {
    const fx = await collectorFixture('alice');
    close = fx.close;
    const bob = fx.spotify.addUser('bob');
    // Connect bob (as `auth login` would); alice's token then seeds alice.
    expect((await fx.run(['run-once'], { SPOTIFY_REFRESH_TOKEN: bob.refreshToken })).code).toBe(0);
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(30)));
    fx.spotify.addPlays('bob', makePlays(2, minutesAgo(30), { firstTrack: 500 }));

    const child = startCli(['run-once', '--json'], {
      cwd: fx.cwd,
      env: { ...fx.env, SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP: 'after-fetch' },
    });
    const stopped = await signalAt(child, 'after-fetch', 'SIGTERM');
    expect(stopped.code, stopped.stderr).toBe(143);
    const summary = summaryOf(stopped);
    expect(summary).toMatchObject({ outcome: 'failed', exit_code: 143 });
    expect(summary.errors[0]).toMatch(/^stopped by SIGTERM before collecting account (alice|bob)\./);
    // The account in flight when the signal came was finished and committed; the other was not started.
    expect(summary.accounts).toHaveLength(1);
    const first = summary.accounts[0]!;
    expect(first).toMatchObject({ outcome: 'ok', plays_new: first.user_id === 'alice' ? 3 : 2 });
    expect((await lease(fx.dataDir)).released_at).not.toBeNull();

    const rerun = await fx.run();
    expect(rerun.code, rerun.stderr).toBe(0);
    const rest = summaryOf(rerun);
    const other = rest.accounts.find((a) => a.user_id !== first.user_id)!;
    expect(other.plays_new).toBe(other.user_id === 'alice' ? 3 : 2);
    expect(rest.accounts.find((a) => a.user_id === first.user_id)!.plays_new).toBe(0);
    const records = (await fx.lake()).flatMap((f) => f.records);
    const ids = records.map(playIdentity);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(3 + 2);
  });

  it('a second signal ends it at once (143), leaving the lease to lapse instead of releasing it', async () => {
    const fx = await collectorFixture('alice');
    close = fx.close;
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(30)));
    // Held for good after the fetch (SPOTIFY_PIPELINE_PAUSE_AT): the first signal cannot finish the account.
    const child = startCli(['run-once', '--json'], {
      cwd: fx.cwd,
      env: { ...fx.env, SPOTIFY_PIPELINE_PAUSE_AT: 'after-fetch' },
    });
    const done = collect(child);
    let seen = '';
    const seeing = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => seen.includes(text) && resolve();
        child.stderr!.on('data', (c: Buffer) => {
          seen += c.toString();
          check();
        });
        child.on('close', () => reject(new Error(`run-once ended before "${text}":\n${seen}`)));
        check();
      });
    await seeing('PAUSED AT after-fetch');
    child.kill('SIGTERM');
    await seeing('stop requested: finishing the account in flight');
    child.kill('SIGTERM');
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain('second signal: exiting now');
    // --json still prints its one object.
    expect(JSON.parse(stopped.stdout)).toMatchObject({ outcome: 'failed', exit_code: 143 });
    expect((await lease(fx.dataDir)).released_at).toBeNull();
    // Same host, dead holder: the next run takes the lease over at once and collects everything once.
    const rerun = await fx.run();
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun).plays_new).toBe(3);
  });

  it('cuts a Retry-After wait short: exits 143 at once with the lease released, not after the wait', async () => {
    const fx = await collectorFixture('alice');
    close = fx.close;
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(30)));
    // Two minutes: far beyond the test's timeout, so only a wait cut short by the signal lets it pass.
    fx.spotify.inject('GET /v1/me/player/recently-played', {
      status: 429,
      headers: { 'Retry-After': '120' },
      body: { error: { status: 429, message: 'API rate limit exceeded' } },
    });
    const child = startCli(['run-once', '--json'], { cwd: fx.cwd, env: fx.env });
    const done = collect(child);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr!.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('waiting as Retry-After asks')) resolve();
      });
      child.on('close', () => reject(new Error(`run-once ended before waiting:\n${seen}`)));
    });
    child.kill('SIGTERM');
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(143);
    const summary = summaryOf(stopped);
    expect(summary).toMatchObject({ exit_code: 143, plays_new: 0 });
    expect(summary.errors.join('\n')).toContain(
      'stopped by SIGTERM while waiting to retry Spotify recently-played',
    );
    expect((await lease(fx.dataDir)).released_at).not.toBeNull();
  });

  it('a command with nothing to finish (auth login waiting for the address) ends at once with 130', async () => {
    const fx = await collectorFixture('alice');
    close = fx.close;
    // `auth login --no-browser` waits for the pasted address: nothing to finish, so SIGINT ends it now.
    const child = startCli(['auth', 'login', '--no-browser'], { cwd: fx.cwd, env: fx.env });
    // Not collect(): it would end standard input, which answers the prompt.
    let stdout = '';
    let stderr = '';
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const seen = () => {
        if ((stdout + stderr).includes('Open this address')) resolve();
      };
      child.stdout!.on('data', (c: Buffer) => ((stdout += c.toString()), seen()));
      child.stderr!.on('data', (c: Buffer) => ((stderr += c.toString()), seen()));
      child.on('close', () => reject(new Error(`auth login ended before asking:\n${stdout}${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await done, stderr).toBe(130);
    expect(stderr).toContain('stopped by SIGINT');
  });
});

describe('import on SIGINT/SIGTERM', () => {
  let exportDir: string;
  beforeAll(async () => {
    exportDir = path.join(await tempDir('stop-export-'), 'my_spotify_data');
    await generateExport(exportDir, { plays: 3000, seed: 11, rowsPerFile: 1000, accountDataDays: 20 });
  });

  async function importJson(cwd: string, env: Record<string, string> = {}) {
    const child = startCli(['import', exportDir, '--json'], { cwd, env: { LOG_LEVEL: 'warn', ...env } });
    return child;
  }
  const reportOf = (r: CliResult) => JSON.parse(r.stdout) as ImportReport;

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} between files: the file in flight is committed, the lease released, exit ${code}; the rerun resumes`, async () => {
      const cwd = await tempDir();
      const stopped = await signalAt(
        await importJson(cwd, { SPOTIFY_PIPELINE_PAUSE_UNTIL_STOP: 'import-between-files' }),
        'import-between-files',
        signal,
      );
      expect(stopped.code, stopped.stderr).toBe(code);
      const report = reportOf(stopped);
      expect(report).toMatchObject({ outcome: 'failed', exit_code: code });
      expect(report.error).toMatch(new RegExp(`^stopped by ${signal} before reading `));
      expect(report.files_read).toBe(1);
      const tracks = path.join(cwd, 'data', 'spotify_listening_history');
      const mid = await readDataset(tracks);
      expect(mid.records.length).toBe(report.rows_written);
      expect(mid.records.length).toBeGreaterThan(0);
      expect((await lease(path.join(cwd, 'data'))).released_at).not.toBeNull();

      const rerun = await collect(await importJson(cwd));
      expect(rerun.code, rerun.stderr).toBe(0);
      const resumed = reportOf(rerun);
      expect(resumed.resumed).toBe(true);
      expect(resumed.files[0]!.status).toBe('already_imported');
      const all = await readDataset(tracks);
      const ids = all.records.map(playIdentity);
      expect(new Set(ids).size).toBe(ids.length);
      const clean = await tempDir();
      expect((await collect(await importJson(clean))).code).toBe(0);
      expect(ids.length).toBe(
        (await readDataset(path.join(clean, 'data', 'spotify_listening_history'))).records.length,
      );
    });
  }
});
