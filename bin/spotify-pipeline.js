#!/usr/bin/env node
// Thin shim: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'spotify-pipeline is not built yet: run `npm ci` (or `npm run build`) in the project folder.\n',
  );
  process.exit(2);
}
await import(entry.href);
