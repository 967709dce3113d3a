import { promises as fs } from 'node:fs';

/**
 * Reads a file chunk by chunk into one reused buffer: each chunk is a view of it, valid until the next one
 * is asked for. A stream would allocate a new buffer per chunk, garbage outside the heap that only a full
 * collection gives back (an export is hundreds of megabytes).
 */
export async function* readInPlace(file: string, chunkBytes = 1 << 20): AsyncGenerator<Buffer, void> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
