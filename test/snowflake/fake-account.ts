import { promises as fs } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { SnowflakeSqlClient } from '../../src/snowflake/sql-api.js';
import { FakeSnowflake } from './fake-snowflake.js';
import { FakeWorld } from './fake-world.js';
import { writeKeyPair } from './helpers.js';

/** A fake Snowflake account (SQL API with key-pair JWT) over a FakeWorld, and a client signed in to it. */
export async function startFakeAccount(root: string) {
  const { file, publicKey } = await writeKeyPair(root);
  const w = new FakeWorld();
  const fake = new FakeSnowflake(publicKey, 'XY12345', 'LOADER', w.handle);
  const baseUrl = await fake.start();
  const client = new SnowflakeSqlClient(
    {
      account: 'xy12345',
      user: 'loader',
      privateKeyPath: file,
      database: 'SPOTIFY',
      schema: 'LISTENING',
      baseUrl,
      statementTimeoutSeconds: 30,
      warehouse: 'LOAD_WH',
    },
    silentLogger,
    { pollMs: 5 },
  );
  return { w, fake, client };
}

/**
 * Lake files as if each was written the day of its plays (file mtimes stand for S3 LastModified), and known to
 * the world's COPY with their dates and row counts. Returns a file's path relative to the stage.
 */
export async function datedLakeFiles(
  root: string,
  w: FakeWorld,
  files: readonly { key: string; date: string; records: number }[],
  stagePrefix: string,
): Promise<(key: string) => string> {
  const rel = (key: string) => key.slice(stagePrefix.length);
  for (const f of files) {
    const t = new Date(Date.parse(`${f.date}T12:00:00Z`));
    await fs.utimes(path.join(root, f.key), t, t);
    w.lake.set(rel(f.key), { date: f.date, rows: f.records });
  }
  return rel;
}
