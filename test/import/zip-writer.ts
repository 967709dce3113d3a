import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, createDeflateRaw } from 'node:zlib';

/**
 * Writes a zip whose entries are streamed in pieces (deflated on the fly, sizes in a data descriptor), so a
 * test can build an entry far bigger than memory allows: a 1 GiB string in a zip of about a megabyte.
 * Plain zip (no zip64): each entry must stay under 4 GiB.
 */
export async function writeStreamedZip(
  file: string,
  entries: { name: string; pieces: () => Iterable<Buffer> }[],
): Promise<void> {
  const out = createWriteStream(file);
  let offset = 0;
  const write = async (b: Buffer) => {
    offset += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const central: Buffer[] = [];
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const start = offset;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0808, 6); // sizes in the data descriptor; UTF-8 name
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(name.length, 26);
    await write(local);
    await write(name);

    let crc = 0;
    let size = 0;
    let compressed = 0;
    const deflate = createDeflateRaw({ level: 1 });
    const drained = (async () => {
      for await (const chunk of deflate as AsyncIterable<Buffer>) {
        compressed += chunk.length;
        await write(chunk);
      }
    })();
    for (const piece of entry.pieces()) {
      crc = crc32(piece, crc);
      size += piece.length;
      if (!deflate.write(piece)) await once(deflate, 'drain');
    }
    deflate.end();
    await drained;

    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(size, 12);
    await write(descriptor);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0808, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(compressed, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(start, 42);
    central.push(header, name);
  }
  const directoryStart = offset;
  const directory = Buffer.concat(central);
  await write(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(directoryStart, 16);
  await write(end);
  out.end();
  await once(out, 'finish');
}

/** `total` bytes of `byte`, in pieces of 1 MiB (one buffer, reused). */
export function* repeated(byte: string, total: number): Iterable<Buffer> {
  const piece = Buffer.alloc(1 << 20, byte);
  for (let left = total; left > 0; left -= piece.length)
    yield left >= piece.length ? piece : piece.subarray(0, left);
}
