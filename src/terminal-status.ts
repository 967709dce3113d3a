import { writeSync } from 'node:fs';

/**
 * The one line at the bottom of the terminal that redraws itself (the import's progress bar). Anything else
 * written to stderr while it is up (a log line, a warning) first clears it and then has it redrawn below, so
 * neither ends up printed over the other.
 */
export interface StatusLine {
  /** Draws the line again, in full. */
  redraw(): void;
}

let current: StatusLine | undefined;

/** Puts `line` up until the returned function is called. */
export function showStatusLine(line: StatusLine): () => void {
  current = line;
  return () => {
    if (current === line) current = undefined;
  };
}

const toStderr = (bytes: Uint8Array) => void writeSync(2, bytes);

/** Writes `text` to stderr (or `write`) above the status line, if one is up. */
export function writeAboveStatusLine(text: string | Uint8Array, write = toStderr): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  // Carriage return and "erase the whole line" (ECMA-48 EL 2): the text starts on a clean line.
  if (current) write(Buffer.from('\r\x1b[2K'));
  write(bytes);
  current?.redraw();
}
