import { PipelineError, errorMessage } from '../errors.js';
import type { SourceFile } from './export-sources.js';
import { ParserThreadError, RowParseError } from './engine/index.js';

/** A file whose bytes cannot be read at all (its identity, before anything of it is parsed). */
export function unreadableFile(src: SourceFile, err: unknown): PipelineError {
  return new PipelineError(
    `${src.display}: cannot be read (${errorMessage(err)}). Nothing of this file was written; check that it is readable and run the import again.`,
    1,
    { cause: err },
  );
}

/**
 * What a failure while reading a file means to the user: the problem and the fix, and how much of the file
 * is in the lake (`rowsDone` rows were read; committed batches are `batchRows` rows).
 */
export function fileFailure(src: SourceFile, err: unknown, rowsDone: number, batchRows: number): unknown {
  if (err instanceof RowParseError && err.kind === 'not_history') {
    return new PipelineError(
      `${src.display}: is not a Spotify streaming history (its rows lack ${src.kind === 'extended' ? '"ts" and "ms_played"' : '"endTime" and "msPlayed"'}). Nothing of it was written; remove it from the command line.`,
      1,
    );
  }
  if (err instanceof RowParseError && err.kind === 'json') {
    return new PipelineError(
      `${src.display}: ${err.message}. ${
        rowsDone > batchRows
          ? `The first rows of this file were committed in complete batches before the problem showed; fix or replace the file and run the import again to resume from there.`
          : `Nothing of this file was written; fix or replace it (download the export again) and run the import again.`
      }`,
      1,
      { cause: err },
    );
  }
  if (err instanceof ParserThreadError) {
    return new PipelineError(
      `${src.display}: ${err.message}. Nothing of this file was written; check that the installation is complete (npm ci) and run the import again.`,
      1,
      { cause: err },
    );
  }
  if (isStreamError(err)) {
    return new PipelineError(
      `${src.display}: cannot be read (${errorMessage(err)}): the file or archive is corrupt. Nothing of this file was written; download the export again.`,
      1,
      { cause: err },
    );
  }
  return err;
}

/** Errors of the byte stream itself (inflate of a corrupt zip entry, entry size mismatch, I/O). */
function isStreamError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof PipelineError) return false;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('Z_') || code.startsWith('E') || /zip|inflate|size|crc|invalid/i.test(err.message);
}
