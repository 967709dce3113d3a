import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/cli.js';

/**
 * A copy of the project's `prepare` step in a scratch checkout whose "build" only leaves a mark, so the test
 * sees whether it ran without running tsc: `typescript/bin/tsc` there is a stand-in.
 */
function scratchCheckout(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'spp-prepare-'));
  cpSync(path.join(PROJECT_ROOT, 'scripts', 'prepare.mjs'), path.join(dir, 'scripts', 'prepare.mjs'));
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin');
  cpSync(path.join(PROJECT_ROOT, 'package.json'), path.join(dir, 'package.json'));
  writeFileSync(path.join(dir, 'tsconfig.build.json'), '{}');
  mkdirSync(tsc, { recursive: true });
  writeFileSync(
    path.join(tsc, 'tsc'),
    "require('node:fs').appendFileSync('built.log', process.argv.slice(2).join(' ') + '\\n');\n",
  );
  writeFileSync(path.join(dir, 'node_modules', 'typescript', 'package.json'), '{"name":"typescript"}');
  return dir;
}

function prepare(dir: string, npmCommand: string) {
  return spawnSync(process.execPath, ['scripts/prepare.mjs'], {
    cwd: dir,
    env: { PATH: process.env.PATH, npm_command: npmCommand },
    encoding: 'utf8',
  });
}

describe('prepare: one build per checkout', () => {
  it('is what package.json runs on install', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBe('node scripts/prepare.mjs');
  });

  it('builds on npm ci and npm install', () => {
    for (const command of ['ci', 'install']) {
      const dir = scratchCheckout();
      expect(prepare(dir, command).status).toBe(0);
      expect(readFileSync(path.join(dir, 'built.log'), 'utf8')).toBe('-p tsconfig.build.json\n');
    }
  });

  it('does not build again when npx or npm link links the built checkout (no second tsc, nothing written)', () => {
    for (const command of ['exec', 'link']) {
      const dir = scratchCheckout();
      mkdirSync(path.join(dir, 'dist'));
      writeFileSync(path.join(dir, 'dist', 'cli.js'), '');
      const before = statSync(path.join(dir, 'dist', 'cli.js')).mtimeMs;
      expect(prepare(dir, command).status).toBe(0);
      expect(existsSync(path.join(dir, 'built.log'))).toBe(false);
      expect(statSync(path.join(dir, 'dist', 'cli.js')).mtimeMs).toBe(before);
    }
  });

  it('under npx or npm link still builds a checkout that has no dist/ yet', () => {
    const dir = scratchCheckout();
    expect(prepare(dir, 'exec').status).toBe(0);
    expect(existsSync(path.join(dir, 'built.log'))).toBe(true);
  });
});
