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
