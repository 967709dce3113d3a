import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/** The demo's default folder (`demo --dir`), relative to the working directory. */
export const DEMO_DIR = 'demo-data';

/** The global flags that point a command at the demo's lake and its own state. */
export function demoLakeFlags(relativeDir: string): string {
  return `--data-dir ${relativeDir} --state-dir ${path.join(relativeDir, '.state')}`;
}

/**
 * A hint for an empty lake when `demo` has filled ./demo-data here: the demo never writes the configured lake,
 * so a plain `stats` after it finds nothing, and the user needs the flags that show the demo's. Null when
 * there is no demo lake here, or it is the lake already in use.
 */
export function demoLakeHint(config: Config, command: string): string | null {
  const dir = path.resolve(config.cwd, DEMO_DIR);
  if (!config.storage.bucket && path.resolve(config.storage.dataDir) === dir) return null;
  if (!existsSync(path.join(dir, config.storage.prefix))) return null;
  return `The demo's sample lake is in ${DEMO_DIR}/ (the demo never writes your own): see it with \`npx spotify-pipeline ${demoLakeFlags(DEMO_DIR)} ${command}\`.`;
}
