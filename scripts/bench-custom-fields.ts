/**
 * What custom fields cost an import: the same export imported into fresh lakes without a transform module and
 * with examples/local-time.mjs (three fields per record), alternately, through the real CLI. Prints each run's
 * wall time and peak RSS (GNU time), then the medians.
 * Usage: npm run bench:custom-fields -- [--plays N] [--runs N] [--dir PATH]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateExport } from '../src/demo/generate-export.js';

const { values } = parseArgs({
  options: {
    plays: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
});
const plays = Number(values.plays);
const runs = Number(values.runs);
const root = path.resolve(values.dir ?? '.bench');
const exportDir = path.join(root, `export-${plays}`);
const cli = path.resolve('bin/spotify-pipeline.js');
const module = path.resolve('examples/local-time.mjs');

if (!existsSync(exportDir)) await generateExport(exportDir, { plays, seed: 42 });

/** One import into a fresh lake; GNU time writes its wall time and peak RSS to a file (`-o`). */
function importOnce(withModule: boolean): { seconds: number; rssMb: number; written: number } {
  const lake = path.join(root, `lake-custom-${withModule ? 'with' : 'without'}`);
  const figures = path.join(root, 'time.txt');
  execFileSync('rm', ['-rf', lake]);
  execFileSync('sync');
  const out = execFileSync(
    '/usr/bin/time',
    ['-f', '%e %M', '-o', figures, process.execPath, cli, 'import', exportDir, '--json', '--no-progress'],
    {
      cwd: root,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'silent',
        DATA_DIR: path.join(lake, 'data'),
        STATE_DIR: path.join(lake, 'state'),
        ...(withModule ? { TRANSFORM_MODULE: module } : {}),
      },
    },
  );
  const report = JSON.parse(out) as { rows_written: number; episodes_written: number };
  const [seconds, kb] = readFileSync(figures, 'utf8').trim().split(/\s+/).map(Number);
  return {
    seconds: seconds!,
    rssMb: Math.round(kb! / 1024),
    written: report.rows_written + report.episodes_written,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write(`${plays} Extended rows; ${importOnce(true).written} records written per import\n`);
const without: { seconds: number; rssMb: number }[] = [];
const withFields: { seconds: number; rssMb: number }[] = [];
for (let i = 0; i < runs; i++) {
  without.push(importOnce(false));
  withFields.push(importOnce(true));
  process.stdout.write(
    `round ${i + 1}: without ${without[i]!.seconds.toFixed(2)} s ${without[i]!.rssMb} MB | with local-time.mjs ${withFields[i]!.seconds.toFixed(2)} s ${withFields[i]!.rssMb} MB\n`,
  );
}
const a = median(without.map((r) => r.seconds));
const b = median(withFields.map((r) => r.seconds));
process.stdout.write(
  `median: without ${a.toFixed(2)} s, with ${b.toFixed(2)} s (${(b / a).toFixed(2)}x); peak RSS ${Math.max(...without.map((r) => r.rssMb))} / ${Math.max(...withFields.map((r) => r.rssMb))} MB\n`,
);
await fs.rm(path.join(root, 'lake-custom-with'), { recursive: true, force: true });
await fs.rm(path.join(root, 'lake-custom-without'), { recursive: true, force: true });
