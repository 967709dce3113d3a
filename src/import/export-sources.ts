import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { ConfigError, PipelineError } from '../errors.js';
import { JsonArrayError, readInPlace, streamJsonArray } from './engine/index.js';
import { classifyExportFile } from './export-file-kinds.js';
import { kindOfRow, type HistoryKind } from '../record/export-row.js';

/** One history file of an export, wherever it lives (a zip entry, a folder, a path on the command line). */
export interface SourceFile {
  /** For messages: the path, or `archive.zip!entry/name.json`. */
  display: string;
  /** The file name without folders. */
  name: string;
  kind: HistoryKind;
  /** What the file is, for the report (`Extended Streaming History, video`...). */
  what: string;
  /** Uncompressed size in bytes (for progress). */
  size: number;
  /**
   * Size and CRC-32 of the content: equal for the same file in a zip, extracted, or renamed. A plain file's
   * is computed when first asked (reading it whole), so an import can read the next file's while it parses one.
   */
  identity(): Promise<string>;
  /** A plain file's path: the parser thread reads it itself (no chunk copied between threads). */
  path?: string;
  open(): Promise<Readable>;
}

export interface DiscoveredExport {
  files: SourceFile[];
  /** Files of the export that are not listening history (ignored), with why, for the report. */
  ignored: IgnoredFile[];
  /** Open archives; call close() when done. */
  close(): void;
}

export interface IgnoredFile {
  file: string;
  why: string;
}

/** Extended history first (it carries ids and wins over Account Data rows of the same play), then by name. */
function sortSources(files: SourceFile[]): SourceFile[] {
  const rank = (k: HistoryKind) => (k === 'extended' ? 0 : 1);
  const collator = new Intl.Collator('en', { numeric: true });
  return files.sort((a, b) => rank(a.kind) - rank(b.kind) || collator.compare(a.display, b.display));
}

const bad = (file: string, problem: string) => new PipelineError(`${file}: ${problem}`, 1);

/**
 * Finds the listening-history files in zips, folders and JSON files. A zip is read from its central
 * directory and each entry streamed when its turn comes: nothing is extracted to disk. Only the first bytes
 * of a JSON file named on the command line are read here, to tell which history it is.
 */
export async function discoverExport(paths: string[]): Promise<DiscoveredExport> {
  const files: SourceFile[] = [];
  const ignored: IgnoredFile[] = [];
  const zips: yauzl.ZipFile[] = [];
  const close = () => zips.forEach((z) => z.close());
  try {
    for (const p of paths) {
      let stat;
      try {
        stat = await fs.stat(p);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A path that is not there is a mistake on the command line (exit 2); one that is there but cannot be
        // read is a failure of the input (exit 1).
        if (code === 'ENOENT' || code === 'ENOTDIR')
          throw new ConfigError(
            `${p}: no such file or folder: check the path (give my_spotify_data.zip, its extracted folder, or its JSON files).`,
          );
        throw bad(p, `cannot be read (${code}): check its permissions.`);
      }
      if (stat.isDirectory()) {
        await walkFolder(p, files, ignored);
      } else if (/\.zip$/i.test(p) || (await startsWithZipSignature(p))) {
        const zip = await openZip(p);
        zips.push(zip);
        await listZip(p, zip, files, ignored);
      } else {
        const file = await explicitJsonFile(p, stat.size);
        if ('why' in file) ignored.push(file);
        else files.push(file);
      }
    }
  } catch (err) {
    close();
    throw err;
  }
  if (files.length === 0) {
    close();
    throw new PipelineError(
      `No listening history found in ${paths.join(', ')}: expected Streaming_History_Audio_*.json, Streaming_History_Video_*.json or endsong_*.json (Extended Streaming History) or StreamingHistory_music_*.json, StreamingHistory_podcast_*.json (Account Data). Request the export at spotify.com/account/privacy and pass the zip, its folder or those files.`,
      1,
    );
  }
  return { files: sortSources(files), ignored, close };
}

async function startsWithZipSignature(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

async function fileIdentity(file: string, size: number): Promise<string> {
  let crc = 0;
  for await (const chunk of readInPlace(file)) crc = crc32(chunk, crc);
  return `${size}:${crc >>> 0}`;
}

function plainFile(file: string, kind: HistoryKind, what: string, size: number): SourceFile {
  let identity: Promise<string> | undefined;
  return {
    display: file,
    name: path.basename(file),
    kind,
    what,
    size,
    identity: () => (identity ??= fileIdentity(file, size)),
    path: file,
    open: async () => createReadStream(file, { highWaterMark: 1 << 20 }),
  };
}

async function walkFolder(dir: string, files: SourceFile[], ignored: IgnoredFile[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await walkFolder(full, files, ignored);
    } else if (entry.isFile()) {
      const found = classifyExportFile(entry.name);
      if (found.kind === null) {
        ignored.push({ file: full, why: found.why });
        continue;
      }
      const { size } = await fs.stat(full);
      files.push(plainFile(full, found.kind, found.what, size));
    }
  }
}

/**
 * A JSON file named on the command line: its name says what it is, as in a zip or a folder (a streaming
 * history of a kind this import does not know is ignored there too); a name the export does not use (a
 * renamed file) is recognised by its first row.
 */
async function explicitJsonFile(file: string, size: number): Promise<SourceFile | IgnoredFile> {
  const found = classifyExportFile(path.basename(file));
  if (found.kind !== null) return plainFile(file, found.kind, found.what, size);
  if (!found.renamed) return { file, why: found.why };
  let first: unknown;
  try {
    for await (const row of streamJsonArray(createReadStream(file, { highWaterMark: 1 << 16 }))) {
      first = row;
      break;
    }
  } catch (err) {
    if (err instanceof JsonArrayError)
      throw bad(file, `${err.message}: it is not a Spotify streaming history.`);
    throw err;
  }
  const kind = kindOfRow(first);
  if (!kind) {
    throw bad(
      file,
      'is not a Spotify streaming history: its rows have neither "ts" and "ms_played" (Extended Streaming History) nor "endTime", "msPlayed" and a track, episode or audiobook name (Account Data).',
    );
  }
  return plainFile(file, kind, `${ROW_FORMAT[kind]} (recognised by its rows)`, size);
}

const ROW_FORMAT: Record<HistoryKind, string> = {
  extended: 'Extended Streaming History',
  account_data: 'Account Data, music',
  account_podcast: 'Account Data, podcasts',
  account_audiobook: 'Account Data, audiobooks',
};

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => {
      if (err) {
        reject(
          bad(
            file,
            `is not a readable zip archive (${err.message}). Download the export again from Spotify; if you extracted it, pass the folder instead.`,
          ),
        );
      } else resolve(zip);
    });
  });
}

function listZip(
  file: string,
  zip: yauzl.ZipFile,
  files: SourceFile[],
  ignored: IgnoredFile[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.on('error', (err: Error) =>
      reject(bad(file, `is a corrupt zip archive (${err.message}). Download the export again from Spotify.`)),
    );
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName.split('/').pop() ?? '';
      const display = `${file}!${entry.fileName}`;
      const found = entry.fileName.endsWith('/') ? null : classifyExportFile(name);
      if (found === null) {
        // A folder entry: its files are entries of their own.
      } else if (found.kind === null) {
        ignored.push({ file: display, why: found.why });
      } else {
        files.push({
          display,
          name,
          kind: found.kind,
          what: found.what,
          size: entry.uncompressedSize,
          identity: async () => `${entry.uncompressedSize}:${entry.crc32 >>> 0}`,
          open: () =>
            new Promise((res, rej) =>
              zip.openReadStream(entry, (err, stream) =>
                err ? rej(bad(display, `cannot be read from the zip (${err.message}).`)) : res(stream),
              ),
            ),
        });
      }
      zip.readEntry();
    });
    zip.readEntry();
  });
}
