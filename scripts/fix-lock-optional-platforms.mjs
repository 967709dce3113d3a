#!/usr/bin/env node
// The npm registry reachable from this workplace serves only the Linux builds of platform-specific optional
// packages (DuckDB's native bindings). npm 11 then writes a lock file without the other platforms' entries and
// its own `npm ci` rejects that lock ("Missing: ... from lock file"). This script adds the missing entries,
// marked optional with their os/cpu, exactly as npm records them when it can see them; npm never downloads an
// optional package whose os/cpu does not match the machine. Run it after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const PLATFORM = /-(darwin|linux|win32)-(x64|arm64)(-musl)?$/;
let added = 0;
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const m = PLATFORM.exec(name);
    const target = `node_modules/${name}`;
    if (!m || lock.packages[target]) continue;
    lock.packages[target] = {
      version,
      cpu: [m[2]],
      ...(m[1] === 'linux' ? { libc: [m[3] ? 'musl' : 'glibc'] } : {}),
      license: entry.license ?? 'MIT',
      optional: true,
      os: [m[1]],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entr${added === 1 ? 'y' : 'ies'} to package-lock.json`);
