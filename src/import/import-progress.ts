import path from 'node:path';
import cliProgress from 'cli-progress';
import { showStatusLine } from '../terminal-status.js';
import type { ImportProgress } from './run-import.js';

/**
 * A progress bar on stderr (files, rows, rate, ETA by bytes); only used when stderr is a terminal.
 * It stays whole: it is short enough for an 80-column terminal with the file name, a log line written while
 * it is up goes above it (src/terminal-status.ts), and it is erased when done, so the summary that follows
 * starts on a clean line.
 */
export function terminalProgress(): { update: (p: ImportProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{bar} {percentage}% | files {filesDone}/{filesTotal} | {rows} rows | ETA {eta_formatted} | {file}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let begun = false;
  let hide: (() => void) | undefined;
  return {
    update(p) {
      const payload = {
        filesDone: p.filesDone,
        filesTotal: p.filesTotal,
        rows: p.rowsRead.toLocaleString('en-US'),
        // The name without its folders (inside a zip: "Spotify Extended Streaming History/…"): the part that
        // tells the files apart.
        file: path.basename(p.currentFile),
      };
      if (!begun) {
        bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
        // render(true) redraws even when the text is unchanged (cli-progress 3, lib/generic-bar.js); the
        // typings leave the argument out.
        const render = bar.render.bind(bar) as (forceRendering: boolean) => void;
        hide = showStatusLine({ redraw: () => render(true) });
        begun = true;
      } else bar.update(p.bytesDone, payload);
    },
    stop() {
      hide?.();
      if (begun) bar.stop();
    },
  };
}
