import { afterEach, describe, expect, it } from 'vitest';
import { continuousFixture, type RunningCli } from './fixture.js';

let fx: Awaited<ReturnType<typeof continuousFixture>> | undefined;
let run: RunningCli | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  await run?.done;
  run = undefined;
  await fx?.close();
  fx = undefined;
});

describe('run-continuous schedule line', () => {
  it('--interval 30s under the 1m floor: says adaptive polling cannot poll sooner, with no contradicting floor', async () => {
    fx = await continuousFixture();
    run = fx.start(['--interval', '30s'], { SPOTIFY_PIPELINE_TEST_FAST_POLLING: undefined });
    const line = await run.waitFor((l) => String(l.msg).startsWith('collecting '), 'the schedule line');
    expect(line.msg).toBe(
      'collecting every 30s (adaptive polling cannot poll sooner: 30s is already no longer than its shortest interval, 1m, --min-interval / MIN_FETCH_INTERVAL); stop with SIGINT/SIGTERM',
    );
    expect(line).toMatchObject({ adaptive: false });
    expect(line).not.toHaveProperty('floorMs');
    expect((await run.stop()).code).toBe(0);
  });

  it('--interval 5m: names the shortest interval adaptive polling may use', async () => {
    fx = await continuousFixture();
    run = fx.start(['--interval', '5m'], { SPOTIFY_PIPELINE_TEST_FAST_POLLING: undefined });
    const line = await run.waitFor((l) => String(l.msg).startsWith('collecting '), 'the schedule line');
    expect(line.msg).toBe(
      'collecting every 5m, and as often as every 1m while you listen a lot (adaptive polling; --min-interval / MIN_FETCH_INTERVAL); stop with SIGINT/SIGTERM',
    );
    expect(line).toMatchObject({ adaptive: true, floorMs: 60_000 });
    expect((await run.stop()).code).toBe(0);
  });
});
