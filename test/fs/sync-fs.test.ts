import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createFilesExclusive, replaceFilesAtomic } from '../../src/fs/fs-atomic.js';
import { syncFileSystem } from '../../src/fs/sync-fs.js';
import { tempDir } from '../helpers/cli.js';

const linux = process.platform === 'linux';

describe('flushing a whole filesystem (syncfs)', () => {
  it.runIf(linux)('flushes, and names the folder when the flush fails', async () => {
    const dir = await tempDir('syncfs-');
    expect(await syncFileSystem(dir)).toBe(true);
    await expect(syncFileSystem(path.join(dir, 'missing'))).rejects.toThrow(
      /flushing .*missing to disk failed/,
    );
    // The helper survives a failed flush.
    expect(await syncFileSystem(dir)).toBe(true);
  });

  it.runIf(linux)('does not keep a process alive once its flushes are done', async () => {
    const script = `import(${JSON.stringify(path.resolve('dist/fs/sync-fs.js'))}).then((m) => m.syncFileSystem(${JSON.stringify(tmpdir())})).then((ok) => console.log(ok))`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(stdout.trim()).toBe('true');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.runIf(linux)(
    'writes many files at once: new ones created, existing ones left alone, no temp file',
    async () => {
      const root = await tempDir('many-');
      const existing = path.join(root, '2024', '01', '02', 'b.json.gz');
      await fs.mkdir(path.dirname(existing), { recursive: true });
      await fs.writeFile(existing, 'old');
      const files = [
        { target: path.join(root, '2024', '01', '01', 'a.json.gz'), data: Buffer.from('a') },
        { target: existing, data: Buffer.from('new') },
        { target: path.join(root, '2024', '01', '02', 'c.json.gz'), data: Buffer.from('c') },
      ];
      expect(await createFilesExclusive(root, files)).toEqual([true, false, true]);
      expect(await fs.readFile(existing, 'utf8')).toBe('old');
      expect(await fs.readFile(files[2]!.target, 'utf8')).toBe('c');
      const all = await fs.readdir(root, { recursive: true });
      expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    },
  );
  it.runIf(linux)(
    'replaces many files at once: new contents and mode, and on a failure nothing replaced and no temp file',
    async () => {
      const root = await tempDir('replace-');
      const a = path.join(root, '2024-01.json');
      const b = path.join(root, '2024-02.json');
      await fs.writeFile(a, 'old a', { mode: 0o644 });
      await replaceFilesAtomic(root, [
        { target: a, data: 'new a' },
        { target: b, data: Buffer.from('new b') },
      ]);
      expect(await fs.readFile(a, 'utf8')).toBe('new a');
      expect(await fs.readFile(b, 'utf8')).toBe('new b');
      expect((await fs.stat(a)).mode & 0o777).toBe(0o600);
      // A target that cannot be written (its folder is a file): the others keep their old contents.
      await fs.writeFile(path.join(root, 'in-the-way'), '');
      await expect(
        replaceFilesAtomic(root, [
          { target: a, data: 'newer a' },
          { target: path.join(root, 'in-the-way', 'c.json'), data: 'c' },
        ]),
      ).rejects.toThrow(/ENOTDIR|EEXIST/);
      expect(await fs.readFile(a, 'utf8')).toBe('new a');
      expect((await fs.readdir(root, { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    },
  );
});
