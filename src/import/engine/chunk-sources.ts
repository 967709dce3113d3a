/**
 * Where the parser thread gets a history file's bytes: chunks posted by the main thread (a zip entry it
 * inflates), or a plain file read here into one reused buffer.
 */
import { readInPlace } from './read-in-place.js';

/**
 * Slices a worker reading a file itself may post before the main thread has taken them: enough (~60 ms of
 * parsing) to ride over the main thread's pauses (a commit's writes, a garbage collection), ~6 MB of lines.
 */
export const SLICES_AHEAD = 6;

export interface ChunkSource extends AsyncIterable<Buffer> {
  /** Chunks handed out so far. */
  consumed: number;
  /** Bytes read from a file since the last call of takeBytes (0 for posted chunks: the main thread counts those). */
  takeBytes(): number;
  /** Called before waiting for the next chunk: everything parsed from the chunks before it is complete. */
  onPull: () => void;
  /** A slice of rows was posted to the main thread (a file read here waits for it to be taken). */
  posted(): void;
}

/** Chunks posted by the main thread. */
export class ChunkQueue implements ChunkSource {
  private readonly chunks: (Buffer | null)[] = [];
  private wake: (() => void) | undefined;
  consumed = 0;
  onPull: () => void = () => {};
  takeBytes(): number {
    return 0;
  }
  posted(): void {}
  push(chunk: Buffer | null) {
    this.chunks.push(chunk);
    this.wake?.();
    this.wake = undefined;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      // Everything parsed from the chunks before is done: report it before waiting for more.
      this.onPull();
      while (this.chunks.length === 0) await new Promise<void>((r) => (this.wake = r));
      const chunk = this.chunks.shift()!;
      if (chunk === null) return;
      this.consumed++;
      yield chunk;
    }
  }
}

/**
 * A file read by the worker itself into one reused buffer: no chunk is allocated, copied or moved between
 * threads. It reads at most SLICES_AHEAD slices ahead of the main thread (acknowledgements), so memory stays
 * bounded however fast the file is read.
 */
export class FileChunks implements ChunkSource {
  consumed = 0;
  onPull: () => void = () => {};
  private bytes = 0;
  private unacknowledged = 0;
  private wake: (() => void) | undefined;

  constructor(private readonly file: string) {}

  takeBytes(): number {
    const n = this.bytes;
    this.bytes = 0;
    return n;
  }

  posted(): void {
    this.unacknowledged++;
  }

  acknowledged(): void {
    this.unacknowledged--;
    this.wake?.();
    this.wake = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const chunks = readInPlace(this.file);
    try {
      for (;;) {
        this.onPull();
        while (this.unacknowledged >= SLICES_AHEAD) await new Promise<void>((r) => (this.wake = r));
        const next = await chunks.next();
        if (next.done) return;
        this.bytes += next.value.length;
        this.consumed++;
        yield next.value;
      }
    } finally {
      await chunks.return();
    }
  }
}
