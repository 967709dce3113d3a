import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makePlays } from '../fakes/spotify-server.js';
import { runCliUntilKilledAt } from '../helpers/cli.js';
import { listAllFiles, playIdentities } from '../helpers/lake.js';
import { collectorFixture, summaryOf } from './fixture.js';

let fx: Awaited<ReturnType<typeof collectorFixture>>;
afterEach(async () => fx?.close());

// Every step of a run at which the process can die (src/commit/committer.ts, src/collect/collect-account.ts);
// after-stage: the objects' bytes are flushed under hidden temp names, none published yet (src/fs/fs-atomic.ts).
const STEPS = [
  'after-recover',
  'after-fetch',
  'after-outbox',
  'after-announce',
  'after-stage-files',
  'after-stage',
  'after-object',
  'after-ledger',
  'after-commit',
];

describe('SIGKILL at any step, then a clean run', () => {
  it.each(STEPS)('killed %s: every play lands exactly once, with no partial file', async (step) => {
    fx = await collectorFixture();
    // Plays across two UTC dates, so a run writes two objects and `after-object` strikes between them.
    fx.spotify.addPlays('alice', makePlays(20, new Date('2024-02-02T00:40:00.000Z')));
    const killed = await runCliUntilKilledAt(['run-once', '--json'], step, { cwd: fx.cwd, env: fx.env });
    expect(killed.signal).toBe('SIGKILL');

    // More plays arrive before the next run.
    fx.spotify.addPlays('alice', makePlays(3, new Date('2024-02-02T03:00:00.000Z'), { firstTrack: 500 }));
    const clean = await fx.run();
    expect(clean.code, clean.stderr).toBe(0);
    const again = await fx.run();
    expect(summaryOf(again)).toMatchObject({ plays_new: 0, plays_already_present: 23 });

    const ids = playIdentities(await fx.lake());
    expect(ids).toHaveLength(23);
    expect(new Set(ids).size).toBe(23);
    // No temp file or partial object anywhere in the lake, and the outbox is empty.
    const all = await listAllFiles(fx.dataDir);
    expect(all.every((f) => f.endsWith('.json.gz') && !path.basename(f).startsWith('.'))).toBe(true);
    const outbox = path.join(fx.stateDir, 'users', 'alice', 'outbox');
    expect((await fs.readdir(outbox).catch(() => [])).length).toBe(0);
  });

  it('killed with the objects staged and the outbox not durable: the next run removes the orphan temp files', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(20, new Date('2024-02-02T00:40:00.000Z')));
    await runCliUntilKilledAt(['run-once'], 'after-stage-files', { cwd: fx.cwd, env: fx.env });
    // The state a kill leaves when it strikes before the outbox file gets its name: no outbox entry.
    const outbox = path.join(fx.stateDir, 'users', 'alice', 'outbox');
    for (const name of await fs.readdir(outbox).catch(() => [])) await fs.rm(path.join(outbox, name));
    const staged = (await listAllFiles(fx.dataDir)).filter((f) => path.basename(f).startsWith('.'));
    expect(staged.length).toBe(2); // one per UTC date, complete, under hidden names

    // The plays are fetched again and written under new names (another ingested_at): the old temps must go.
    expect((await fx.run()).code).toBe(0);
    const all = await listAllFiles(fx.dataDir);
    expect(all.filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
    const ids = playIdentities(await fx.lake());
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });

  it('a run after a crash that left the outbox full says it finished the interrupted work', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(6, new Date('2024-02-02T12:00:00.000Z')));
    await runCliUntilKilledAt(['run-once'], 'after-outbox', { cwd: fx.cwd, env: fx.env });
    const result = await fx.run(['run-once']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('6 finished from an interrupted run');
    expect(result.stdout).toContain('0 new, 6 already present');
  });

  it('stops with a clear message on a corrupt state file and never resets it', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(4, new Date('2024-02-02T12:00:00.000Z')));
    expect((await fx.run()).code).toBe(0);
    const ledgerFile = path.join(fx.stateDir, 'users', 'alice', 'ledger', '2024-02.json');
    await fs.writeFile(ledgerFile, '{"v":1,"plays":[[17068');
    const result = await fx.run(['run-once']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`The state file ${ledgerFile} is corrupt`);
    expect(result.stdout).toContain('never reset automatically');
    expect(await fs.readFile(ledgerFile, 'utf8')).toBe('{"v":1,"plays":[[17068');
    expect(playIdentities(await fx.lake())).toHaveLength(4);
  });
});

describe('a lost STATE_DIR', () => {
  it('does not write the plays Spotify still lists a second time', async () => {
    fx = await collectorFixture();
    fx.spotify.addPlays('alice', makePlays(30, new Date('2024-02-02T00:40:00.000Z')));
    expect(summaryOf(await fx.run())).toMatchObject({ plays_new: 30 });
    await fs.rm(fx.stateDir, { recursive: true });
    fx.spotify.addPlays('alice', makePlays(2, new Date('2024-02-02T03:00:00.000Z'), { firstTrack: 700 }));
    const result = await fx.run();
    expect(result.code, result.stderr).toBe(0);
    expect(summaryOf(result)).toMatchObject({ plays_new: 2, plays_already_present: 30 });
    expect(result.stderr).toContain('learned from the lake');
    const ids = playIdentities(await fx.lake());
    expect(ids).toHaveLength(32);
    expect(new Set(ids).size).toBe(32);
  });
});
