import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The script of one of the import's worker threads (`name`: its compiled file name). Compiled, it is the
 * sibling .js. Run from the TypeScript sources (vitest, tsx), whose loaders do not reach worker threads, it is
 * the compiled copy in dist/ (`npm run build`).
 */
export function workerUrl(name: string): URL {
  const js = new URL(`./${name}`, import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL(`../../dist/import/${name}`, import.meta.url);
}
