import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { runCli } from '../helpers/cli.js';
import { listAllFiles, playIdentities } from '../helpers/lake.js';
import { continuousFixture, metricsUrl, type RunningCli } from './fixture.js';
import { parsePrometheusText, valueOf } from '../metrics/prom-text.js';
import { pidScope } from '../../src/util/process-alive.js';

type Fixture = Awaited<ReturnType<typeof continuousFixture>>;

/**
 * A fixture of the test's own (fake Spotify, folders, the `run-continuous` children it starts), torn down when
 * the test ends (the test context's onTestFinished: concurrent tests have no global one): the tests share
 * nothing, so they run at once.
 */
async function fixture(onTestFinished: (fn: () => Promise<void>) => void, userId?: string): Promise<Fixture> {
  const fx = await continuousFixture(userId);
  const runs: RunningCli[] = [];
  onTestFinished(async () => {
    for (const run of runs) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.done;
    }
    await fx.close();
  });
  return {
    ...fx,
    start: (...args: Parameters<Fixture['start']>) => {
      const run = fx.start(...args);
      runs.push(run);
      return run;
    },
  };
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function expectExactlyOnce(fx: Fixture, expected: number) {
  const ids = playIdentities(await fx.lake());
  expect(ids).toHaveLength(expected);
  expect(new Set(ids).size).toBe(expected);
}

// Every test has its own fixture, so they run at once; the one that measures polling against the clock runs alone.
describe.concurrent('run-continuous', () => {
  it('collects at once, then each tick, every play added between ticks exactly once', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(10, minutesAgo(60)));
    const run = fx.start(['--interval', '1s']);
    await run.collections(1);
    expect(run.finishedCollections()[0]).toMatchObject({ outcome: 'ok', new: 10 });

    fx.spotify.addPlays('alice', makePlays(5, minutesAgo(30), { firstTrack: 100 }));
    await run.waitFor((l) => l.msg === 'collection finished' && l.new === 5, 'the 5 new plays');
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(10), { firstTrack: 200 }));
    await run.waitFor((l) => l.msg === 'collection finished' && l.new === 3, 'the 3 new plays');
    const before = run.finishedCollections().length;
    await run.collections(before + 1); // a quiet tick writes nothing
    const result = await run.stop();

    expect(result.code, result.stderr).toBe(0);
    await expectExactlyOnce(fx, 18);
    const finished = run.finishedCollections();
    expect(finished.reduce((n, l) => n + Number(l.new), 0)).toBe(18);
    // Secrets never reach the log.
    expect(run.stderr).not.toContain(fx.user.refreshToken);
    expect(run.stderr).not.toContain(fx.spotify.clientSecret!);
    // Every collection line carries the run id; each tick is its own run.
    expect(new Set(finished.map((l) => l.runId)).size).toBe(finished.length);
    const starting = run.lines.filter((l) => l.msg === 'collection starting').map((l) => l.runId);
    expect(finished.map((l) => l.runId)).toEqual(starting.slice(0, finished.length));
    // The lock is gone after a clean stop.
    await expect(fs.access(path.join(fx.stateDir, 'pipeline.lock'))).rejects.toThrow();
    const history = (await fs.readFile(path.join(fx.stateDir, 'history', 'runs.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { command: string });
    expect(history.length).toBe(finished.length);
    expect(history.every((h) => h.command === 'run-continuous')).toBe(true);
  });

  it('on SIGTERM during a collection finishes it, writes it, and exits 0', async ({ onTestFinished }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(4, minutesAgo(60)));
    const run = fx.start(['--interval', '1s']);
    await run.collections(1);
    fx.spotify.addPlays('alice', makePlays(6, minutesAgo(5), { firstTrack: 50 }));
    fx.spotify.apiDelayMs = 1500; // the next collection stays in flight for 1.5 s
    const starting = () => run.lines.filter((l) => l.msg === 'collection starting').length;
    await run.waitFor(() => starting() >= 2, 'the second collection to start');
    const result = await run.stop('SIGTERM');

    expect(result.code, result.stderr).toBe(0);
    expect(
      run.lines.some((l) => l.msg === 'waiting for the collection in flight to finish before exiting'),
    ).toBe(true);
    expect(run.finishedCollections().at(-1)).toMatchObject({ outcome: 'ok', new: 6 });
    await expectExactlyOnce(fx, 10);
    expect((await listAllFiles(fx.dataDir)).every((f) => f.endsWith('.json.gz'))).toBe(true);
    await expect(fs.access(path.join(fx.stateDir, 'pipeline.lock'))).rejects.toThrow();
  });

  it('gives up waiting after --shutdown-timeout, exits 1, and the next start loses nothing', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(7, minutesAgo(60)));
    // Stops for good after fetching, before writing: the in-flight collection never finishes.
    const run = fx.start(['--interval', '1s', '--shutdown-timeout', '1s'], {
      SPOTIFY_PIPELINE_PAUSE_AT: 'after-fetch',
    });
    await run.waitFor(() => run.stderr.includes('PAUSED AT after-fetch'), 'the pause point');
    const result = await run.stop('SIGTERM');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('did not finish in time');

    const again = await fx.run(['run-once', '--json']);
    expect(again.code, again.stderr).toBe(0);
    await expectExactlyOnce(fx, 7);
  });

  it('refuses a second instance on the same STATE_DIR and takes over a dead process’s lock', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(60)));
    let run = fx.start(['--interval', '1s']);
    await run.collections(1);

    const second = await fx.run(['run-continuous', '--interval', '1s']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Another spotify-pipeline is already using STATE_DIR');
    expect(second.stderr).toContain(`PID ${run.child.pid}`);
    // Another state on the same lake is refused too: by the lake's lease, which lives with the lake.
    const otherState = await fx.run(['run-once', '--json'], { STATE_DIR: path.join(fx.cwd, 'other-state') });
    expect(otherState.code).toBe(1);
    expect(otherState.stdout).toMatch(
      new RegExp(
        `Another spotify-pipeline is writing to the lake .*\`run-continuous\` \\(PID ${run.child.pid}`,
      ),
    );
    expect((await run.stop()).code).toBe(0);
    const lease = JSON.parse(await fs.readFile(path.join(fx.dataDir, '_pipeline', 'lease.json'), 'utf8')) as {
      released_at: string | null;
      holder: { command: string };
    };
    expect(lease.holder.command).toBe('run-continuous');
    expect(lease.released_at).not.toBeNull(); // a clean stop releases it: the next run needs no wait

    // A lock left behind by a process that died (SIGKILL, power loss) does not block the next start.
    const dead = await runCli(['--version'], { cwd: fx.cwd, env: {} });
    expect(dead.code).toBe(0);
    const deadPid = 999_999;
    await fs.writeFile(
      path.join(fx.stateDir, 'pipeline.lock'),
      JSON.stringify({
        pid: deadPid,
        host: hostname(),
        command: 'run-continuous',
        started_at: new Date().toISOString(),
        // Written on this boot, in this PID namespace: only then is a missing PID proof of death.
        ...pidScope(),
      }),
    );
    run = fx.start(['--interval', '1s']);
    await run.collections(1);
    const lock = JSON.parse(await fs.readFile(path.join(fx.stateDir, 'pipeline.lock'), 'utf8')) as {
      pid: number;
    };
    expect(lock.pid).toBe(run.child.pid);
    expect((await run.stop()).code).toBe(0);
    await expectExactlyOnce(fx, 3);
  });

  it('serves /metrics in Prometheus format with counters that agree with the lake', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(12, new Date('2024-03-10T00:20:00.000Z'))); // two UTC dates
    const run = fx.start(['--interval', '1s', '--metrics-port', '0']);
    const url = await metricsUrl(run);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await run.collections(1);
    fx.spotify.addPlays('alice', makePlays(4, minutesAgo(3), { firstTrack: 300 }));
    await run.waitFor((l) => l.msg === 'collection finished' && l.new === 4, 'the 4 new plays');
    const quietTicks = run.finishedCollections().length + 1;
    await run.collections(quietTicks);

    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const { samples, types } = parsePrometheusText(await response.text());
    const lake = await fx.lake();
    const files = await listAllFiles(fx.dataDir);
    let bytes = 0;
    for (const f of files) bytes += (await fs.stat(path.join(fx.dataDir, f))).size;

    expect(types.get('spotify_pipeline_plays_written_total')).toBe('counter');
    expect(valueOf(samples, 'spotify_pipeline_plays_written_total', { account: 'alice' })).toBe(
      lake.reduce((n, f) => n + f.records.length, 0),
    );
    expect(valueOf(samples, 'spotify_pipeline_object_writes_total', { outcome: 'created' })).toBe(
      lake.length,
    );
    expect(valueOf(samples, 'spotify_pipeline_bytes_written_total')).toBe(bytes);
    const done = await fetch(`${url}/metrics`).then((r) => r.text());
    const okRuns = valueOf(parsePrometheusText(done).samples, 'spotify_pipeline_collections_total', {
      outcome: 'ok',
    })!;
    expect(okRuns).toBeGreaterThanOrEqual(quietTicks);
    // One recently-played request per successful collection; with a 1 s interval the scrape may land while a
    // collection is in flight (its request counted, its outcome not yet), so allow exactly that one.
    const okInScrape = valueOf(samples, 'spotify_pipeline_collections_total', { outcome: 'ok' })!;
    const recentRequests = valueOf(samples, 'spotify_pipeline_api_requests_total', {
      endpoint: 'recently-played',
      status: '200',
    })!;
    expect(recentRequests - okInScrape).toBeGreaterThanOrEqual(0);
    expect(recentRequests - okInScrape).toBeLessThanOrEqual(1);
    expect(
      valueOf(samples, 'spotify_pipeline_plays_already_present_total', { account: 'alice' }),
    ).toBeGreaterThan(0);
    // Freshness: the newest play ended about 3 minutes ago.
    const freshness = valueOf(samples, 'spotify_pipeline_data_freshness_seconds', { account: 'alice' })!;
    expect(freshness).toBeGreaterThan(170);
    expect(freshness).toBeLessThan(600);
    const expiry = valueOf(samples, 'spotify_pipeline_refresh_token_expiry_timestamp_seconds', {
      account: 'alice',
    })!;
    expect(expiry * 1000).toBeGreaterThan(Date.now() + 150 * 86_400_000);
    expect(valueOf(samples, 'spotify_pipeline_last_success_timestamp_seconds')! * 1000).toBeGreaterThan(
      Date.now() - 60_000,
    );
    expect(valueOf(samples, 'spotify_pipeline_possible_gap_events_total', { account: 'alice' }) ?? 0).toBe(0);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
    expect((await run.stop()).code).toBe(0);
  });

  it('/healthz turns 503 while Spotify keeps failing and 200 again when it recovers', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(5, minutesAgo(60)));
    const run = fx.start(['--interval', '1s', '--metrics-port', '0']);
    const url = await metricsUrl(run);
    await run.collections(1);
    const health = async () => {
      const r = await fetch(`${url}/healthz`);
      return { status: r.status, body: (await r.json()) as { status: string; reason?: string } };
    };
    expect((await health()).status).toBe(200);

    const failing = Array.from({ length: 500 }, () => ({
      status: 503,
      body: { error: { status: 503, message: 'Service unavailable' } },
    }));
    fx.spotify.inject('GET /v1/me/player/recently-played', ...failing);
    const unhealthy = await pollUntil(health, (h) => h.status === 503, 20_000);
    expect(unhealthy.body.status).toBe('unhealthy');
    expect(unhealthy.body.reason).toMatch(/more than three intervals/);
    expect(unhealthy.body.reason).toContain('503');
    // The process stays up and keeps retrying.
    expect(run.child.exitCode).toBeNull();
    expect(
      run.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('collection failed; retrying')),
    ).toBe(true);

    fx.spotify.clearInjected();
    fx.spotify.addPlays('alice', makePlays(2, minutesAgo(1), { firstTrack: 90 }));
    const healthy = await pollUntil(health, (h) => h.status === 200, 20_000);
    expect(healthy.body.status).toBe('ok');
    expect((await run.stop()).code).toBe(0);
    await expectExactlyOnce(fx, 7);
  });

  it('logs an account that needs a new login on every tick while the other account goes on', async ({
    onTestFinished,
  }) => {
    const fx = await fixture(onTestFinished, 'alice');
    const bob = fx.spotify.addUser('bob');
    fx.spotify.addPlays('alice', makePlays(3, minutesAgo(60)));
    fx.spotify.addPlays('bob', makePlays(2, minutesAgo(60), { firstTrack: 500 }));
    // Connect bob too (as `auth login` would), then alice's token seeds alice.
    expect((await fx.run(['run-once'], { SPOTIFY_REFRESH_TOKEN: bob.refreshToken })).code).toBe(0);
    fx.spotify.revokeRefreshToken('bob');
    fx.spotify.expireAccessTokens();

    const run = fx.start(['--interval', '1s']);
    await run.collections(1);
    fx.spotify.addPlays('alice', makePlays(4, minutesAgo(2), { firstTrack: 700 }));
    await run.waitFor((l) => l.msg === 'collection finished' && l.new === 4, 'alice’s new plays');
    const loginErrors = () =>
      run.lines.filter(
        (l) => l.level === 50 && l.account === 'bob' && String(l.msg).includes('needs a new Spotify login'),
      );
    await run.waitFor(() => loginErrors().length >= 3, 'three login errors');
    expect(String(loginErrors()[0]!.msg)).toContain('spotify-pipeline auth login');
    expect(run.child.exitCode).toBeNull();
    expect((await run.stop()).code).toBe(0);
    await expectExactlyOnce(fx, 9);
  });

  it.sequential(
    'shortens the interval under heavy listening and loses no play',
    async ({ onTestFinished }) => {
      const fx = await fixture(onTestFinished);
      const run = fx.start(['--interval', '3s', '--min-interval', '200ms']);
      await run.collections(1);
      // Listening speeds up: 12 plays a second, then 24. At the configured 3 s, 72 plays would pile up
      // between polls, more than the 50 the API keeps.
      let n = 0;
      const addBatch = (count: number) => {
        const end = Date.now() - 60_000 + n * 10; // distinct, increasing played_at
        fx.spotify.addPlays('alice', makePlays(count, new Date(end), { firstTrack: 1000 + n, gapMs: 1 }));
        n += count;
      };
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const elapsed = Date.now() - started;
          if (elapsed > 9_500) {
            clearInterval(timer);
            resolve();
          } else addBatch(elapsed < 3_500 ? 3 : 6);
        }, 250);
      });
      await run.waitFor(
        () => run.finishedCollections().reduce((s, l) => s + Number(l.new), 0) >= n,
        'every play collected',
      );
      const result = await run.stop();
      expect(result.code, result.stderr).toBe(0);
      const shortened = run.lines.filter((l) => String(l.msg).startsWith('poll interval shortened'));
      expect(shortened.length).toBeGreaterThan(0);
      expect(shortened[0]!.toMs).toBeLessThan(3000);
      expect(run.lines.some((l) => String(l.msg).startsWith('possible gap'))).toBe(false);
      expect(n).toBeGreaterThan(100);
      await expectExactlyOnce(fx, n);
    },
  );

  it('runs on a cron schedule', async ({ onTestFinished }) => {
    const fx = await fixture(onTestFinished);
    fx.spotify.addPlays('alice', makePlays(2, minutesAgo(60)));
    const run = fx.start(['--cron', '* * * * * *']); // croner: six fields, every second
    await run.waitFor((l) => String(l.msg).startsWith('collecting cron "* * * * * *"'), 'the schedule line');
    await run.collections(3);
    expect((await run.stop()).code).toBe(0);
    await expectExactlyOnce(fx, 2);
  });

  it('rejects bad scheduling flags before any work (exit 2)', async ({ onTestFinished }) => {
    const fx = await fixture(onTestFinished);
    const bad = await fx.run(['run-continuous', '--interval', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--interval "soon" is not a duration');
    const both = await fx.run(['run-continuous', '--interval', '1m', '--cron', '* * * * *']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either --interval or --cron');
    const cron = await fx.run(['run-continuous', '--cron', 'every day']);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toContain('is not a valid cron expression');
    const port = await fx.run(['run-continuous'], { METRICS_PORT: 'ninety' });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('METRICS_PORT');
    expect(fx.spotify.requests).toHaveLength(0);
  });
});

async function pollUntil<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
