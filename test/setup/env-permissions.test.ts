import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { envFileWarning, isSecretSetting } from '../../src/setup/env-permissions.js';
import { openWarehouse, warehousePath } from '../../src/warehouse/warehouse.js';
import { LocalObjectStore } from '../../src/lake/local-store.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { play } from '../helpers/records.js';
import { writePlays } from '../warehouse/lake-fixture.js';

/**
 * A folder whose lake holds a play: a read-only command on an empty lake keeps its warehouse in memory and writes
 * no file, so these tests give it something to load.
 */
async function folderWithAPlay(): Promise<string> {
  const cwd = await tempDir();
  await writePlays(new LocalObjectStore(loadConfig({ cwd, env: {} }).storage.dataDir), [
    play('2024-03-01T10:00:00Z'),
  ]);
  return cwd;
}

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('a .env that others can read while it holds secrets', () => {
  it('names the secrets and the fix, and says who can read it', () => {
    const text = 'SPOTIFY_CLIENT_ID=abc\nSPOTIFY_CLIENT_SECRET=s3cr3t\nSNOWFLAKE_PRIVATE_KEY_PASSPHRASE=pp\n';
    const world = envFileWarning('/app/.env', 0o100644, text);
    expect(world).toBe(
      'warning: /app/.env holds SPOTIFY_CLIENT_SECRET, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE and is readable by every user of this machine (mode 0644): run `chmod 600 .env` (in /app).',
    );
    expect(world).not.toContain('s3cr3t');
    expect(envFileWarning('/app/.env', 0o100640, text)).toContain('readable by its group (mode 0640)');
    expect(envFileWarning('/app/.env', 0o100600, text)).toBe('');
    expect(
      envFileWarning(
        '/app/.env',
        0o100644,
        'SPOTIFY_CLIENT_ID=abc\nDATA_DIR=./data\nSPOTIFY_CLIENT_SECRET=\n',
      ),
    ).toBe('');
  });

  it('counts credentials, not settings that only name where one is', () => {
    for (const name of [
      'SPOTIFY_CLIENT_SECRET',
      'SPOTIFY_REFRESH_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
    ])
      expect(isSecretSetting(name)).toBe(true);
    for (const name of [
      'SNOWFLAKE_PRIVATE_KEY_PATH',
      'SNOWFLAKE_AWS_ROLE_ARN',
      'SPOTIFY_CLIENT_ID',
      'AWS_ACCESS_KEY_ID',
    ])
      expect(isSecretSetting(name)).toBe(false);
  });

  it('the CLI warns on stderr before the command runs, and is quiet once the file is 0600', async () => {
    const cwd = await tempDir();
    const env = path.join(cwd, '.env');
    await fs.writeFile(env, 'SPOTIFY_CLIENT_ID=abc\nSPOTIFY_CLIENT_SECRET=s3cr3t\n');
    await fs.chmod(env, 0o644);
    const loose = await runCli(['stats', '--no-listening'], { cwd, env: {} });
    expect(loose.stderr).toContain(
      `warning: ${env} holds SPOTIFY_CLIENT_SECRET and is readable by every user`,
    );
    expect(loose.stderr).toContain('chmod 600 .env');
    expect(loose.stdout + loose.stderr).not.toContain('s3cr3t');
    await fs.chmod(env, 0o600);
    const tight = await runCli(['stats', '--no-listening'], { cwd, env: {} });
    expect(tight.stderr).not.toContain('warning:');
  });
});

describe('the warehouse file', () => {
  it('is created 0600 like the rest of STATE_DIR, and an older 0644 one is brought in line', async () => {
    const cwd = await folderWithAPlay();
    const config = loadConfig({ cwd, env: {} });
    const wh = await openWarehouse(config, silentLogger);
    wh.close();
    const file = warehousePath(config);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.dirname(file))).toBe(0o700);
    // The umask is the process's own again: files made after are not affected.
    await fs.writeFile(path.join(cwd, 'after'), 'x');
    expect(await mode(path.join(cwd, 'after'))).toBe(0o666 & ~process.umask());

    await fs.chmod(file, 0o644);
    (await openWarehouse(config, silentLogger)).close();
    expect(await mode(file)).toBe(0o600);
  });

  it('`query` from the CLI leaves it 0600', async () => {
    const cwd = await folderWithAPlay();
    const r = await runCli(['query', 'SELECT 1 AS one'], { cwd, env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(await mode(path.join(cwd, '.pipeline', 'warehouse', 'spotify.duckdb'))).toBe(0o600);
  });
});
