/** The file token store keeps today's format; the StateStore-backed one writes the same keys and bytes. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StateObject, StateStore } from '../../src/state/state-store.js';
import { FileTokenStore, StateTokenStore, type StoredAccount } from '../../src/spotify/token-store.js';
import { tempDir } from '../helpers/cli.js';

function account(id: string, refresh: string): StoredAccount {
  return {
    v: 1,
    user_id: id,
    display_name: null,
    refresh_token: refresh,
    access_token: 'access',
    access_token_expires_at: '2030-01-01T00:00:00.000Z',
    scopes: ['user-read-recently-played'],
    authorized_at: '2026-10-01T00:00:00.000Z',
    authorized_at_known: true,
    client_id: 'client',
    seed_sha256: null,
    updated_at: '2026-10-01T00:00:00.000Z',
  };
}

/** The smallest StateStore: a map (versions are counters). Enough for the token store, which only puts. */
function memoryState(): StateStore & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  let n = 0;
  const put = async (key: string, body: Buffer | string) => {
    objects.set(key, Buffer.from(body));
    return String(++n);
  };
  return {
    objects,
    location: 'mem://state/',
    kind: 's3',
    read: async (key): Promise<StateObject | undefined> =>
      objects.has(key) ? { body: objects.get(key)!, version: '1' } : undefined,
    create: async (key, body) => (objects.has(key) ? undefined : put(key, body)),
    replace: put,
    put,
    putMany: async (entries) => {
      for (const e of entries) await put(e.key, e.body);
    },
    list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)).sort(),
    delete: async (key) => void objects.delete(key),
  };
}

const withoutTime = (text: string) => text.replace(/"updated_at":"[^"]+"/, '"updated_at":"T"');

describe('token stores', () => {
  it('the file store reads and writes STATE_DIR/accounts/<url-encoded id>.json, mode 0600', async () => {
    const stateDir = await tempDir('spp-tokens-');
    // A token file as earlier releases wrote it.
    await fs.mkdir(path.join(stateDir, 'accounts'), { recursive: true });
    await fs.writeFile(
      path.join(stateDir, 'accounts', 'old%2Fuser.json'),
      `${JSON.stringify(account('old/user', 'r0'))}\n`,
    );
    const store = new FileTokenStore(stateDir);
    expect((await store.read('old/user'))!.refresh_token).toBe('r0');

    await store.save(account('alice', 'r1'));
    const file = path.join(stateDir, 'accounts', 'alice.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(stateDir, 'accounts'))).isDirectory()).toBe(true);
    expect((await store.list()).map((a) => a.user_id)).toEqual(['alice', 'old/user']);
    expect(await store.remove('alice')).toBe(true);
    expect(await store.remove('alice')).toBe(false);
  });

  it('the StateStore-backed store writes the same keys and bytes as the files', async () => {
    const stateDir = await tempDir('spp-tokens-');
    const files = new FileTokenStore(stateDir);
    const state = memoryState();
    const objects = new StateTokenStore(state);
    for (const s of [files, objects]) {
      await s.save(account('alice', 'r1'));
      await s.save(account('b/ob', 'r2'));
    }
    expect([...state.objects.keys()].sort()).toEqual(['accounts/alice.json', 'accounts/b%2Fob.json']);
    for (const key of state.objects.keys()) {
      const fileText = await fs.readFile(path.join(stateDir, key), 'utf8');
      expect(withoutTime(state.objects.get(key)!.toString())).toBe(withoutTime(fileText));
    }
    expect((await objects.list()).map((a) => a.user_id)).toEqual(['alice', 'b/ob']);
    expect((await objects.read('b/ob'))!.refresh_token).toBe('r2');
    expect(await objects.remove('alice')).toBe(true);
    expect(await objects.remove('alice')).toBe(false);
    expect(await objects.read('alice')).toBeUndefined();

    state.objects.set('accounts/broken.json', Buffer.from('{nope'));
    await expect(objects.list()).rejects.toThrow(/mem:\/\/state\/accounts\/broken\.json is corrupt/);
  });
});
