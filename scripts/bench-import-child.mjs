/**
 * The import of `npm run bench:import`, alone in its process: the compiled import (what the CLI runs) under
 * plain node, so its peak RSS is the import's own and not that of a TypeScript loader's thread.
 * Usage: node scripts/bench-import-child.mjs EXPORT_DIR LAKE_DIR; prints {seconds, maxRssKb, report}.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../dist/config.js';
import { silentLogger } from '../dist/log.js';
import { runImport } from '../dist/import/run-import.js';

const [exportDir, lakeDir] = process.argv.slice(2);
const config = loadConfig({
  cwd: lakeDir,
  env: { DATA_DIR: path.join(lakeDir, 'data'), STATE_DIR: path.join(lakeDir, 'state') },
});
const started = performance.now();
const report = await runImport(config, silentLogger, { paths: [exportDir] });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ seconds, maxRssKb: process.resourceUsage().maxRSS, report }));
