import type { BufferPool } from './buffer-pool.js';

export const ROW_TRACK = 0;
export const ROW_EPISODE = 1;

/** In `users`: the row's format has no `username` (its line holds USER_PLACEHOLDER). */
export const USER_NONE = -1;
/** In `users`: the row's `username` is empty (its line holds USER_PLACEHOLDER); the file may name it. */
export const USER_EMPTY = -2;

/**
 * The kept rows of a slice, by column, as the parser thread sends them. Numbers travel in typed arrays and
 * the lines as one byte buffer, all moved (not copied) to the main thread and outside its JS heap: the main
 * thread's garbage, and so the import's peak memory, stays small.
 */
export interface RowColumns {
  kinds: Uint8Array;
  /** played_at, epoch ms. */
  times: Float64Array;
  /** Each row's track or episode id, as an index into the file's strings; -1: none (Account Data). */
  ids: Int32Array;
  /** Each row's name, as an index into the file's strings. */
  names: Int32Array;
  /**
   * The file's strings first used by this slice, in order: a file's strings are numbered from 0 as they first
   * appear, and each is sent once, so the main thread holds one copy of each track's id and name, not one
   * per play (fewer, longer-lived objects on its heap).
   */
  strings: string[];
  /** Each row's user as an index into `userNames`, or USER_NONE / USER_EMPTY: the row does not name one. */
  users: Int32Array;
  /** The distinct users of the slice (an export has one or two): not one string per row to copy. */
  userNames: string[];
  /** Every row's JSON line and "\n", UTF-8, back to back. */
  text: Uint8Array;
  /** End of each row's line in `text` (it starts where the previous one ends). */
  lineEnds: Uint32Array;
  /** Rows of the file read once this row is done (what a checkpoint after it may say). */
  rowsDone: Uint32Array;
}

/** Builds a slice's RowColumns row by row; the lines go straight into one growing byte buffer. */
export class ColumnBuilder {
  private kinds: number[] = [];
  private times: number[] = [];
  private ids: number[] = [];
  private names: number[] = [];
  private strings: string[] = [];
  /** A user's name, or USER_NONE / USER_EMPTY. */
  private users: (string | number)[] = [];
  private lineEnds: number[] = [];
  private rowsDone: number[] = [];
  /** The file's strings, numbered as they first appear (kept from slice to slice). */
  private readonly numbered = new Map<string, number>();
  private lines = Buffer.allocUnsafe(1 << 20);
  private pos = 0;

  /** A kept row; `line` already ends with "\n"; `user` is a name, USER_NONE or USER_EMPTY. */
  add(
    kind: number,
    rowsDone: number,
    t: number,
    id: string | null,
    name: string,
    user: string | number,
    line: string,
  ) {
    const room = this.lines.length - this.pos;
    // A UTF-8 line is at most three bytes per UTF-16 unit: only a long line needs measuring.
    if (line.length * 3 > room && Buffer.byteLength(line, 'utf8') > room) this.grow(Buffer.byteLength(line));
    this.pos += this.lines.write(line, this.pos, 'utf8');
    this.kinds.push(kind);
    this.rowsDone.push(rowsDone);
    this.times.push(t);
    this.ids.push(id === null ? -1 : this.intern(id));
    this.names.push(this.intern(name));
    this.users.push(user);
    this.lineEnds.push(this.pos);
  }

  private grow(n: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.lines.length * 2, this.pos + n));
    this.lines.copy(grown, 0, 0, this.pos);
    this.lines = grown;
  }

  private intern(text: string): number {
    let n = this.numbered.get(text);
    if (n === undefined) {
      this.numbered.set(text, (n = this.numbered.size));
      this.strings.push(text);
    }
    return n;
  }

  /** The slice's columns (its lines copied into a buffer of `pool`, to move to the main thread); starts over. */
  seal(pool: BufferPool): RowColumns {
    const text = pool.take(this.pos);
    text.set(this.lines.subarray(0, this.pos));
    const columns: RowColumns = {
      kinds: Uint8Array.from(this.kinds),
      times: Float64Array.from(this.times),
      ids: Int32Array.from(this.ids),
      names: Int32Array.from(this.names),
      strings: this.strings,
      ...userColumn(this.users),
      text,
      lineEnds: Uint32Array.from(this.lineEnds),
      rowsDone: Uint32Array.from(this.rowsDone),
    };
    this.kinds = [];
    this.times = [];
    this.ids = [];
    this.names = [];
    this.strings = [];
    this.users = [];
    this.lineEnds = [];
    this.rowsDone = [];
    this.pos = 0;
    return columns;
  }
}

function userColumn(users: (string | number)[]): Pick<RowColumns, 'users' | 'userNames'> {
  const userNames: string[] = [];
  const index = new Map<string, number>();
  const column = Int32Array.from(users, (u) => {
    if (typeof u === 'number') return u;
    let i = index.get(u);
    if (i === undefined) index.set(u, (i = userNames.push(u) - 1));
    return i;
  });
  return { users: column, userNames };
}

/** The transferable buffers of a slice's columns. */
export function transferList(c: RowColumns): ArrayBuffer[] {
  return [c.kinds, c.times, c.ids, c.names, c.users, c.text, c.lineEnds, c.rowsDone].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
