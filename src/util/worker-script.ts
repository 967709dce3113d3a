import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The script of a worker thread: `name` (a compiled file name) next to the module at `moduleUrl`. Compiled,
 * it is the sibling .js. Run from the TypeScript sources (vitest, tsx), whose loaders do not reach worker
 * threads, it is the compiled copy in dist/<folder>/ (`npm run build`); `folder` is the module's folder under
 * src/, so as deep as it says.
 */
export function workerScript(moduleUrl: string, folder: string, name: string): URL {
  const js = new URL(`./${name}`, moduleUrl);
  const root = '../'.repeat(folder.split('/').length + 1);
  return existsSync(fileURLToPath(js)) ? js : new URL(`${root}dist/${folder}/${name}`, moduleUrl);
}
