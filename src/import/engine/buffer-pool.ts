/**
 * ArrayBuffers that went to another thread and came back, kept to be written into again: a buffer reused
 * never becomes freed memory that the C allocator keeps resident (what made an import's peak RSS grow with
 * the export's size). The import's lines buffers and compression inputs both go round this way.
 */
export class BufferPool {
  private readonly buffers: ArrayBuffer[] = [];

  /** `limit`: buffers kept at most; `minBytes`: the least a new buffer is made with. */
  constructor(
    private readonly limit: number,
    private readonly minBytes = 0,
  ) {}

  /**
   * A view of `size` bytes on the smallest kept buffer that holds them (a small request must not take the
   * buffer a big one needs), else on a new buffer a quarter bigger, so that it can come back and serve again.
   */
  take(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.buffers.length; i++) {
      const length = this.buffers[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.buffers[best]!.byteLength)) best = i;
    }
    if (best >= 0) return new Uint8Array(this.buffers.splice(best, 1)[0]!, 0, size);
    return new Uint8Array(new ArrayBuffer(Math.max(size + (size >> 2), this.minBytes)), 0, size);
  }

  /** Keeps a buffer given back; beyond the limit the smallest is let go (the small ones are cheap to make). */
  give(buffer: ArrayBuffer): void {
    this.buffers.push(buffer);
    if (this.buffers.length > this.limit) {
      let smallest = 0;
      for (let i = 1; i < this.buffers.length; i++) {
        if (this.buffers[i]!.byteLength < this.buffers[smallest]!.byteLength) smallest = i;
      }
      this.buffers.splice(smallest, 1);
    }
  }
}
