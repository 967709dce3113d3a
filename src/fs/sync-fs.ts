import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The `sync` program that flushes one filesystem; null where there is none (not Linux, or too old). */
let syncProgram: Promise<string | null> | undefined;

/**
 * Finds it once per process. The probe flushes `dir`, a folder on the filesystem the caller is about to flush
 * anyway (probing with `/` would flush the system disk, which may not be the lake's).
 */
export function findSyncProgram(dir: string): Promise<string | null> {
  return (syncProgram ??= (async () => {
    if (process.platform !== 'linux') return null;
    for (const bin of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
      const program = path.join(bin, 'sync');
      try {
        await fs.access(program, fsConstants.X_OK);
      } catch {
        continue;
      }
      try {
        // coreutils >= 8.24 and busybox know --file-system; an older one refuses it.
        await execFileAsync(program, ['--file-system', '--', dir]);
        return program;
      } catch {
        return null;
      }
    }
    return null;
  })());
}

/**
 * A small shell that runs `sync --file-system DIR` for each folder written to its input and answers 0 or 1
 * per line. Forking it once instead of once per flush matters: forking a process of a few hundred MB (an
 * import) costs milliseconds of page-table copying each time, on the event loop's thread.
 */
class SyncHelper {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting: ((ok: boolean) => void)[] = [];
  private buffered = '';
  dead = false;

  constructor(program: string) {
    this.child = spawn(
      'sh',
      [
        '-c',
        'while IFS= read -r dir; do if "$0" --file-system -- "$dir" 2>/dev/null; then echo 0; else echo 1; fi; done',
        program,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      this.buffered += text;
      let eol: number;
      while ((eol = this.buffered.indexOf('\n')) >= 0) {
        const answer = this.buffered.slice(0, eol);
        this.buffered = this.buffered.slice(eol + 1);
        this.waiting.shift()?.(answer === '0');
      }
      this.idle();
    });
    const fail = () => {
      this.dead = true;
      for (const w of this.waiting.splice(0)) w(false);
    };
    this.child.on('error', fail);
    this.child.on('exit', fail);
    this.child.stdin.on('error', fail);
    this.idle();
  }

  /** Between flushes the helper must not keep the process alive. */
  private idle() {
    if (this.waiting.length === 0) {
      this.child.unref();
      (this.child.stdout as Readable & { unref?: () => void }).unref?.();
    }
  }

  flush(dir: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.ref();
      (this.child.stdout as Readable & { ref?: () => void }).ref?.();
      this.child.stdin.write(`${dir}\n`);
    });
  }
}

let helper: SyncHelper | undefined;

/**
 * Flushes everything written to the filesystem holding `dir` (data and names) to stable storage: Linux's
 * syncfs(2), through `sync --file-system`, since Node has no binding for it. One journal commit for a whole
 * batch of files instead of two fsyncs per file. Returns false where it is not available: the caller then
 * fsyncs file by file. Throws when the flush fails (syncfs reports the filesystem's write errors).
 */
export async function syncFileSystem(dir: string): Promise<boolean> {
  const program = await findSyncProgram(dir);
  if (program === null) return false;
  let ok: boolean;
  if (dir.includes('\n')) {
    ok = await execFileAsync(program, ['--file-system', '--', dir]).then(
      () => true,
      () => false,
    );
  } else {
    if (!helper || helper.dead) helper = new SyncHelper(program);
    ok = await helper.flush(dir);
    // A helper that died mid-way says nothing of the flush: run it directly.
    if (!ok && helper.dead) {
      ok = await execFileAsync(program, ['--file-system', '--', dir]).then(
        () => true,
        () => false,
      );
    }
  }
  // Nothing written since the last flush can be trusted to be on disk.
  if (!ok) throw new Error(`flushing ${dir} to disk failed (sync --file-system reported an error)`);
  return true;
}
