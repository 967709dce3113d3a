import { describe, expect, it } from 'vitest';
import { ExportUsers } from '../../src/import/export-users.js';
import type { StoredAccount } from '../../src/spotify/token-store.js';

const account = (user_id: string) => ({ user_id }) as StoredAccount;

describe('whose plays the rows that name no user are (one account per file)', () => {
  it("the file's own user first, even over --user and the connected account", () => {
    const users = new ExportUsers('bob', [account('carol')]);
    users.beginFile('endsong_0.json');
    expect(users.fileNamesAUser).toBe(false);
    users.noteNamed('alice', true);
    expect(users.fileNamesAUser).toBe(true);
    expect(users.unnamedUser()).toBe('alice');
    expect(users.fileUser).toBe('alice');
  });

  it('a file whose rows name nobody: --user, then the export’s Extended user, then the only account', () => {
    const named = new ExportUsers(undefined, [account('carol')]);
    named.beginFile('endsong_0.json');
    named.noteNamed('alice', true);
    named.beginFile('StreamingHistory_music_0.json');
    expect(named.unnamedUser()).toBe('alice');
    expect(new ExportUsers('bob', []).unnamedUser()).toBe('bob');
    expect(new ExportUsers(undefined, [account('carol')]).unnamedUser()).toBe('carol');
    // Account Data names nobody: it does not make its fallback the export's user.
    const acct = new ExportUsers(undefined, [account('carol')]);
    acct.beginFile('StreamingHistory_music_0.json');
    acct.noteNamed('dave', false);
    acct.beginFile('StreamingHistory_music_1.json');
    expect(acct.unnamedUser()).toBe('carol');
  });

  it('asks for --user (exit 2) when nothing decides, naming the file whose rows name several accounts', () => {
    expect(() => new ExportUsers(undefined, []).unnamedUser()).toThrow(/pass --user/);
    expect(() => new ExportUsers(undefined, [account('a'), account('b')]).unnamedUser()).toThrow(
      /several accounts are connected \(a, b\)/,
    );
    const mixed = new ExportUsers(undefined, [account('carol')]);
    mixed.beginFile('endsong_3.json');
    mixed.noteNamed('alice', true);
    mixed.noteNamed('bob', true);
    expect(() => mixed.unnamedUser()).toThrow(
      /endsong_3\.json: its rows name several accounts \(alice, bob\)/,
    );
    expect(mixed.fileUser).toBeUndefined();
  });

  it('a resumed file starts with the user its rows named before', () => {
    const users = new ExportUsers('bob', []);
    users.beginFile('endsong_0.json', 'alice');
    expect(users.unnamedUser()).toBe('alice');
  });
});
