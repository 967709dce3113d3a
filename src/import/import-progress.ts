import cliProgress from 'cli-progress';
import type { ImportProgress } from './run-import.js';

/** A progress bar on stderr (files, rows, rate, ETA by bytes); only used when stderr is a terminal. */
export function terminalProgress(): { update: (p: ImportProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format:
        'importing {bar} {percentage}% | files {filesDone}/{filesTotal} | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {file}',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let begun = false;
  return {
    update(p) {
      const payload = {
        filesDone: p.filesDone,
        filesTotal: p.filesTotal,
        rows: p.rowsRead.toLocaleString('en-US'),
        rate: Math.round(p.rowsRead / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString('en-US'),
        file: p.currentFile,
      };
      if (!begun) {
        bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
        begun = true;
      } else bar.update(p.bytesDone, payload);
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}
